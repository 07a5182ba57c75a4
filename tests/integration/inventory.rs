//! `ferret inventory`: hashdeep audits, `*sum -c`, JSON Lines, exit codes.

use std::path::Path;
use std::process::Command;

use crate::util::{self, Shapes};

fn hashdeep_audit(list: &Path, source: &Path, extra: &[&str]) {
    let out = Command::new("hashdeep")
        .args(["-r"])
        .args(extra)
        .args(["-a", "-k"])
        .arg(list)
        .arg(source)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("Audit passed"),
        "hashdeep audit failed:\n{stdout}\n{}\n{}",
        String::from_utf8_lossy(&out.stderr),
        std::fs::read_to_string(list).unwrap_or_default()
    );
}

#[test]
fn hashdeep_audits_our_inventory_of_its_own_testfiles() {
    let Some(corpus) = util::corpus() else { return };
    if !util::have_tool("hashdeep") {
        return;
    }
    let out_dir = tempfile::tempdir().unwrap();
    let list = out_dir.path().join("inv.txt");
    let src = corpus.join("hashdeep/testfiles");
    util::run_ok(
        util::ferret()
            .args(["inventory", "-q", "-o"])
            .arg(&list)
            .arg(&src),
    );
    let text = std::fs::read_to_string(&list).unwrap();
    assert!(text.starts_with("%%%% HASHDEEP-1.0\n%%%% size,md5,sha1,sha256,filename\n"));
    assert_eq!(
        text.lines()
            .filter(|l| !l.starts_with('#') && !l.starts_with('%'))
            .count(),
        17
    );
    hashdeep_audit(&list, &src, &[]);
}

#[test]
fn hashdeep_audits_our_inventory_of_a_hostile_tree() {
    if !util::have_tool("hashdeep") {
        return;
    }
    // hashdeep itself cannot take newline names (its own output fails its
    // own audit), paths over PATH_MAX, and hangs on FIFOs without `-o f`:
    // those shapes are left out here and covered by the other tests.
    let tree = util::hostile_tree(Shapes {
        newline_names: false,
        deep: false,
        sparse: false,
    });
    let out_dir = tempfile::tempdir().unwrap();
    let list = out_dir.path().join("inv.txt");
    util::run_ok(
        util::ferret()
            .args(["inventory", "-q", "-o"])
            .arg(&list)
            .arg(tree.root()),
    );
    hashdeep_audit(&list, tree.root(), &["-o", "f"]);
}

#[test]
fn sums_are_checked_by_coreutils_with_hostile_names() {
    if !util::have_tool("sha256sum") {
        return;
    }
    let tree = util::hostile_tree(Shapes {
        newline_names: true,
        deep: false,
        sparse: false,
    });
    let out_dir = tempfile::tempdir().unwrap();
    for (algo, tool) in [
        ("sha256", "sha256sum"),
        ("md5", "md5sum"),
        ("sha1", "sha1sum"),
    ] {
        let list = out_dir.path().join(format!("{algo}.txt"));
        util::run_ok(
            util::ferret()
                .current_dir(tree.root())
                .args(["inventory", "-q", "-f", "sums", "-a", algo, "-o"])
                .arg(&list)
                .arg("."),
        );
        let text = std::fs::read(&list).unwrap();
        assert_eq!(
            text.split(|&b| b == b'\n')
                .filter(|l| !l.is_empty())
                .count() as u64,
            tree.files
        );
        assert!(text.windows(2).any(|w| w == b"\\n"), "newline name escaped");
        let out = util::run_ok(
            Command::new(tool)
                .current_dir(tree.root())
                .arg("-c")
                .arg(&list),
        );
        let ok = String::from_utf8_lossy(&out.stdout).matches(": OK").count() as u64;
        assert_eq!(ok, tree.files, "{tool} -c");
    }
}

#[test]
fn b3sum_checks_our_blake3_lines() {
    let Some(corpus) = util::corpus() else { return };
    if !util::have_tool("b3sum") {
        return;
    }
    let out_dir = tempfile::tempdir().unwrap();
    let list = out_dir.path().join("b3.txt");
    let src = corpus.join("hashdeep/testfiles");
    util::run_ok(
        util::ferret()
            .current_dir(&src)
            .args(["inventory", "-q", "-f", "sums", "-a", "blake3", "-o"])
            .arg(&list)
            .arg("."),
    );
    let out = util::run_ok(Command::new("b3sum").current_dir(&src).arg("-c").arg(&list));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).matches(": OK").count(),
        17
    );
}

#[test]
fn jsonl_has_every_entry_with_reversible_paths() {
    let tree = util::hostile_tree(Shapes {
        newline_names: true,
        deep: true,
        sparse: false,
    });
    let out = util::run_ok(
        util::ferret()
            .args(["inventory", "-q", "-f", "jsonl", "--read-link-targets"])
            .arg(tree.root()),
    );
    let lines: Vec<serde_json::Value> = out
        .stdout
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_slice(l).unwrap())
        .collect();
    assert_eq!(lines.len() as u64, tree.files + tree.not_hashed);
    let prefix = format!("{}/", ferret::pathfmt::escape_path(tree.root()));
    let mut names = Vec::new();
    for v in &lines {
        let path = v["path"].as_str().unwrap();
        let raw = ferret::pathfmt::unescape_path(path.strip_prefix(&prefix).unwrap()).unwrap();
        names.push(raw);
        match v["status"].as_str().unwrap() {
            "hashed" => {
                for a in ["md5", "sha1", "sha256", "blake3"] {
                    assert!(v[a].is_string(), "{a} missing in {v}");
                }
                assert!(v["mtime"].as_str().unwrap().ends_with('Z'));
                assert!(v["class"]["mime"].is_string());
                assert!(v["mismatch"].is_boolean() && v["changed_during_read"].is_boolean());
            }
            "not_hashed" => assert!(v["reason"].is_string()),
            other => panic!("unexpected status {other}"),
        }
    }
    assert!(names.contains(&b"caf\xe9.jpg".to_vec()));
    assert!(names.contains(&b"new\nline.txt".to_vec()));
    let fifo = lines.iter().find(|v| v["kind"] == "fifo").unwrap();
    assert_eq!(fifo["status"], "not_hashed");
    let link = lines
        .iter()
        .find(|v| v["path"].as_str().unwrap().ends_with("/outside"))
        .unwrap();
    assert_eq!(link["link_target"], "/etc/passwd");
}

#[test]
fn exit_codes_and_refusals() {
    let tree = util::hostile_tree(Shapes {
        newline_names: false,
        deep: false,
        sparse: false,
    });
    // 0: complete.
    let out = util::ferret()
        .args(["inventory", "-q", "-f", "jsonl"])
        .arg(tree.root())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    // 3: missing root.
    let out = util::ferret()
        .args(["inventory", "/nonexistent/x"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot open evidence root"));
    // 3: bad usage.
    let out = util::ferret()
        .args(["inventory", "--algorithms", "md4", "."])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    let out = util::ferret()
        .args(["inventory", "-f", "hashdeep", "-a", "blake3", "."])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    // Never writes inside the evidence.
    let inside = tree.root().join("out.txt");
    let out = util::ferret()
        .args(["inventory", "-o"])
        .arg(&inside)
        .arg(tree.root())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert!(!inside.exists());
    // Never overwrites without --force.
    let out_dir = tempfile::tempdir().unwrap();
    let f = out_dir.path().join("x.txt");
    std::fs::write(&f, b"keep").unwrap();
    let out = util::ferret()
        .args(["inventory", "-o"])
        .arg(&f)
        .arg(tree.root())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(std::fs::read(&f).unwrap(), b"keep");
    // --help documents the exit codes.
    let out = util::ferret()
        .args(["inventory", "--help"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("2  complete, but some entries"));
}

#[cfg(unix)]
#[test]
fn unreadable_entries_are_listed_recorded_and_give_exit_code_2() {
    use std::os::unix::fs::PermissionsExt;
    let tree = util::hostile_tree(Shapes {
        newline_names: false,
        deep: false,
        sparse: false,
    });
    let set_mode =
        |p: &Path, m| std::fs::set_permissions(p, std::fs::Permissions::from_mode(m)).unwrap();
    set_mode(tree.root(), 0o755);
    set_mode(&tree.root().join(".secret"), 0o000);
    set_mode(&tree.root().join("vanish.txt"), 0o000);
    // Root reads anything: run as `nobody` when we are root.
    let mut cmd = if rustix::process::geteuid().is_root() {
        if !util::have_tool("setpriv") {
            return;
        }
        let mut c = Command::new("setpriv");
        c.args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .arg(env!("CARGO_BIN_EXE_ferret"));
        c
    } else {
        util::ferret()
    };
    let out = cmd
        .args(["inventory", "-f", "jsonl"])
        .arg(tree.root())
        .output()
        .unwrap();
    set_mode(&tree.root().join(".secret"), 0o755);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(".secret: open_dir: Permission denied (os error 13)"),
        "{stderr}"
    );
    assert!(
        stderr.contains("vanish.txt: open: Permission denied (os error 13)"),
        "{stderr}"
    );
    assert!(stderr.contains("2 unreadable"), "{stderr}");
    // Both are in the output with op, OS code and their metadata; the scan went on.
    let lines: Vec<serde_json::Value> = out
        .stdout
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_slice(l).unwrap())
        .collect();
    let errors: Vec<_> = lines.iter().filter(|v| v["status"] == "error").collect();
    assert_eq!(errors.len(), 2);
    for e in &errors {
        assert_eq!(e["error"]["os_code"], 13);
        assert!(e["kind"].is_string() && e["size"].is_u64(), "{e}");
    }
    // .secret/inner.txt was behind the locked dir: the rest are all there.
    assert_eq!(lines.len() as u64, tree.files + tree.not_hashed - 1);
}
