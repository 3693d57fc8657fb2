//! Where file bytes live. One trait, so a deployment can put media in object storage
//! later; the default keeps them on local disk under `./data/media`.

use async_trait::async_trait;
use std::io;
use std::path::PathBuf;

/// Bytes by key. Keys are made by msgbuddy (`<workspace id>/<media id>`), never taken
/// from a client.
#[async_trait]
pub trait MediaStore: Send + Sync + std::fmt::Debug {
    async fn put(&self, key: &str, bytes: &[u8]) -> io::Result<()>;
    async fn get(&self, key: &str) -> io::Result<Vec<u8>>;
    async fn delete(&self, key: &str) -> io::Result<()>;
}

/// Files on local disk under `root`.
#[derive(Debug, Clone)]
pub struct LocalStore {
    root: PathBuf,
}

impl LocalStore {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    fn path(&self, key: &str) -> io::Result<PathBuf> {
        // Keys are ours, but a key that could climb out of the root is refused anyway.
        let safe = !key.is_empty()
            && key.split('/').all(|part| {
                !part.is_empty()
                    && part != "."
                    && part != ".."
                    && part
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
            });
        if !safe {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("`{key}` is not a media key"),
            ));
        }
        Ok(self.root.join(key))
    }
}

#[async_trait]
impl MediaStore for LocalStore {
    async fn put(&self, key: &str, bytes: &[u8]) -> io::Result<()> {
        let path = self.path(key)?;
        let bytes = bytes.to_vec();
        tokio::task::spawn_blocking(move || {
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir)?;
            }
            // Written aside and renamed, so a reader never sees half a file.
            let partial = path.with_extension("partial");
            std::fs::write(&partial, &bytes)?;
            std::fs::rename(&partial, &path)
        })
        .await
        .map_err(io::Error::other)?
    }

    async fn get(&self, key: &str) -> io::Result<Vec<u8>> {
        let path = self.path(key)?;
        tokio::task::spawn_blocking(move || std::fs::read(path))
            .await
            .map_err(io::Error::other)?
    }

    async fn delete(&self, key: &str) -> io::Result<()> {
        let path = self.path(key)?;
        tokio::task::spawn_blocking(move || match std::fs::remove_file(path) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            other => other,
        })
        .await
        .map_err(io::Error::other)?
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn files_round_trip_and_keys_cannot_leave_the_root() {
        let root = std::env::temp_dir().join(format!("msgbuddy_store_{}", std::process::id()));
        let store = LocalStore::new(&root);
        store.put("ws_1/med_1", b"hello").await.expect("put");
        assert_eq!(store.get("ws_1/med_1").await.expect("get"), b"hello");
        store.delete("ws_1/med_1").await.expect("delete");
        assert!(store.get("ws_1/med_1").await.is_err());
        store
            .delete("ws_1/med_1")
            .await
            .expect("deleting twice is fine");
        for key in [
            "../etc/passwd",
            "ws_1/../../x",
            "/abs",
            "ws_1//med",
            "a/b.c",
            "",
        ] {
            assert!(store.put(key, b"x").await.is_err(), "{key}");
        }
        let _ = std::fs::remove_dir_all(root);
    }
}
