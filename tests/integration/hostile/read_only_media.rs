//! Finding 11: a case on read-only (write-blocked) media opens read-only,
//! every read command works, and nothing says "damaged".

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

use crate::util;

/// `ferret ARGS` as `nobody` (root writes anywhere: a folder it cannot
/// write must be tried as another user), or `None` when that cannot run.
fn as_nobody(args: &[&std::ffi::OsStr]) -> Option<std::process::Output> {
    if !rustix::process::geteuid().is_root() {
        return Some(util::ferret().args(args).output().unwrap());
    }
    if !util::have_tool("setpriv") {
        return None;
    }
    Some(
        Command::new("setpriv")
            .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .arg(env!("CARGO_BIN_EXE_ferret"))
            .args(args)
            .output()
            .unwrap(),
    )
}

fn mode(p: &Path, m: u32) {
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(m)).unwrap();
}

#[test]
fn a_case_on_read_only_media_is_opened_read_only_and_every_read_works() {
    let dir = tempfile::tempdir().unwrap();
    mode(dir.path(), 0o755);
    let ev = dir.path().join("ev");
    std::fs::create_dir(&ev).unwrap();
    std::fs::write(ev.join("a.jpg"), b"not really a picture").unwrap();
    let media = dir.path().join("media");
    std::fs::create_dir(&media).unwrap();
    let case = media.join("c.ferret");
    util::new_case_scan(&case, &ev, "RO-1", &[]);
    assert!(!media.join("c.ferret-wal").exists(), "closed cleanly");
    mode(&case, 0o444);
    mode(&media, 0o555);
    let out_dir = dir.path().join("out");
    std::fs::create_dir(&out_dir).unwrap();
    mode(&out_dir, 0o777);
    let before = std::fs::read(&case).unwrap();
    let c = case.as_os_str();
    for cmd in [
        &["case", "info"][..],
        &["case", "hits"],
        &["case", "verify"],
    ] {
        let mut args: Vec<&std::ffi::OsStr> = cmd.iter().map(std::ffi::OsStr::new).collect();
        args.push(c);
        let Some(out) = as_nobody(&args) else {
            return;
        };
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{cmd:?}: {err}");
        assert!(!err.contains("damaged"), "{err}");
    }
    let r = out_dir.join("r");
    let out = as_nobody(&["report".as_ref(), c, "-o".as_ref(), r.as_os_str()]).unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(
        err.contains("the case is on read-only media: opened read-only"),
        "{err}"
    );
    assert!(r.join("manifest.sha256").exists());
    // Writing is refused with the reason, not "damaged".
    let out = as_nobody(&["scan".as_ref(), "--resume".as_ref(), c]).unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3));
    assert!(err.contains("the case is on read-only media"), "{err}");
    mode(&media, 0o755);
    assert_eq!(std::fs::read(&case).unwrap(), before, "never written");
    let left: Vec<_> = std::fs::read_dir(&media).unwrap().collect();
    assert_eq!(left.len(), 1, "no -wal or -shm left: {left:?}");
}
