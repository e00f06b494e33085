//! Files the server makes are private from the start: the data folder is
//! readable by its owner only (0700), the database and keys are created
//! 0600 (SQLite gives its `-wal` and `-shm` files the database's mode), so
//! no other local user ever sees a family's case, even for a moment.

use std::io::Write;
use std::path::Path;

/// Makes `dir` (and missing parents) readable by its owner only. A folder
/// that already exists is left as it is (it may be shared, `/tmp` say), but
/// a warning says so when others can read it.
pub fn private_dir(dir: &Path) -> std::io::Result<()> {
    if dir.is_dir() {
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir)?.permissions().mode();
            if mode & 0o077 != 0 {
                tracing::warn!(
                    path = %dir.display(),
                    mode = format!("{:o}", mode & 0o777),
                    "the data folder is open to other users; make it private: chmod 700"
                );
            }
        }
        return Ok(());
    }
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir)
}

/// Writes `data` to `path`, created readable by its owner only.
pub fn write_private(path: &Path, data: &[u8]) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    file.write_all(data)?;
    file.sync_all()
}

/// Creates `path` empty and private when it does not exist yet (before
/// SQLite opens it, so it never exists with a wider mode).
pub fn touch_private(path: &Path) -> std::io::Result<()> {
    if path.exists() {
        return Ok(());
    }
    write_private(path, &[])
}
