//! The files a test leaves behind, to look through them (for a secret that must not be there).

use std::path::{Path, PathBuf};

/// Every file under `root`, recursively (none when `root` cannot be read).
pub fn under(root: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![root.to_owned()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                found.push(path);
            }
        }
    }
    found
}
