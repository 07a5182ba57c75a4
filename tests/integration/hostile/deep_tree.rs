//! Finding 16: a tree deeper than the open-file limit is walked whole.

use crate::util;

/// Issue 13, finding 16: the walk's depth is not limited by the number of
/// files a process may open. A 400-level tree, with side branches to climb
/// back into, is walked whole under a limit of 128 open files (a walk
/// holding one descriptor per level would fail a third of the way down).
#[test]
fn a_tree_deeper_than_the_open_file_limit_is_walked_whole() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("deep");
    let mut at = root.clone();
    let mut files = 0;
    for level in 0..400 {
        at = at.join("d");
        std::fs::create_dir_all(&at).unwrap();
        if level % 25 == 0 {
            // A sibling branch visited after the deeper chain returns.
            let side = at.parent().unwrap().join("side");
            std::fs::create_dir_all(side.join("x")).unwrap();
            std::fs::write(side.join("x/f.txt"), format!("side {level}")).unwrap();
            files += 1;
        }
    }
    std::fs::write(at.join("bottom.txt"), "the bottom").unwrap();
    files += 1;
    let out = util::run_ok(
        std::process::Command::new("bash")
            .arg("-c")
            .arg(r#"ulimit -n 128 && exec "$0" inventory -q -f jsonl "$1""#)
            .arg(env!("CARGO_BIN_EXE_ferret"))
            .arg(&root),
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let objs: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let hashed = objs.iter().filter(|o| o["status"] == "hashed").count();
    let errors: Vec<&serde_json::Value> = objs.iter().filter(|o| o["status"] == "error").collect();
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(hashed, files);
    // 400 chain folders, 16 side folders with a folder each, and the files.
    assert_eq!(objs.len(), 400 + 16 * 2 + files);
}
