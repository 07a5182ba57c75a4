//! Writes a RAR archive with the `rars` crate (a dev-dependency: no RAR
//! writer ships with Debian), or times the crate's own decoding of one, the
//! decompressor bound Ferret's RAR reading is compared with.
//!
//! ```text
//! cargo run --release --example make_rar -- [--rar4] [--solid] OUT.rar DIR
//! cargo run --release --example make_rar -- --decode IN.rar
//! ```
//! Writing takes every file under DIR (names relative to DIR, `/` between
//! components), RAR 5 unless `--rar4` (RAR 2.9, the RAR 4 format).
//! Decoding extracts every member to nothing and prints the seconds taken
//! and the bytes expanded.

use std::path::Path;

fn files(dir: &Path, base: &Path, out: &mut Vec<(String, Vec<u8>)>) -> std::io::Result<()> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)?.collect::<Result<_, _>>()?;
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let path = e.path();
        if e.file_type()?.is_dir() {
            files(&path, base, out)?;
        } else {
            let name = path
                .strip_prefix(base)
                .map_err(std::io::Error::other)?
                .to_string_lossy()
                .replace('\\', "/");
            out.push((name, std::fs::read(&path)?));
        }
    }
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let [flag, input] = &args[..]
        && flag == "--decode"
    {
        let bytes = std::fs::read(input)?;
        let started = std::time::Instant::now();
        let archive = rars::ArchiveReader::read(&bytes)?;
        let expanded = std::cell::Cell::new(0u64);
        let mut options = rars::ArchiveReadOptions::new();
        // As Ferret decodes: RAR 5 members above 4 MiB streamed.
        if std::env::var_os("MAKE_RAR_AS_FERRET").is_some() {
            options = options.with_rar50_buffered_decode_limit(4 << 20);
        }
        archive.extract_with_control(options, |m| {
            expanded.set(expanded.get() + m.meta.unpacked_size);
            Ok(rars::ExtractionDecision::Extract(Box::new(std::io::sink())))
        })?;
        println!("{:.3} {}", started.elapsed().as_secs_f64(), expanded.get());
        return Ok(());
    }
    let rar4 = args.iter().any(|a| a == "--rar4");
    let solid = args.iter().any(|a| a == "--solid");
    let rest: Vec<&String> = args.iter().filter(|a| !a.starts_with("--")).collect();
    let [out, dir] = rest[..] else {
        eprintln!("usage: make_rar [--rar4] [--solid] OUT.rar DIR | make_rar --decode IN.rar");
        std::process::exit(2);
    };
    let version = if rar4 {
        rars::ArchiveVersion::Rar29
    } else {
        rars::ArchiveVersion::Rar50
    };
    let mut members = Vec::new();
    files(Path::new(dir), Path::new(dir), &mut members)?;
    let mut builder = rars::Builder::new(version).solid(solid);
    for (name, data) in members {
        builder.add_bytes(name.into_bytes(), data, None, None)?;
    }
    let mut bytes = Vec::new();
    builder.write_to(&mut bytes, &rars::WriterResources::default(), None)?;
    std::fs::write(out, bytes)?;
    Ok(())
}
