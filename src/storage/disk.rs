//! The default store: one file per key under a directory (`<data-dir>/uploads`).

use std::path::{Path, PathBuf};

use super::{Storage, StorageError, StorageFuture, StorageResult, valid_key};

#[derive(Debug, Clone)]
pub struct DiskStorage {
    root: PathBuf,
}

impl DiskStorage {
    /// A store under `root`, created if missing.
    pub fn open(root: impl Into<PathBuf>) -> std::io::Result<Self> {
        let root = root.into();
        std::fs::create_dir_all(&root)?;
        Ok(Self { root })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    fn path(&self, key: &str) -> StorageResult<PathBuf> {
        if !valid_key(key) {
            return Err(StorageError::InvalidKey(key.to_owned()));
        }
        Ok(self.root.join(key))
    }

    async fn write(&self, key: &str, bytes: &[u8]) -> StorageResult<()> {
        let path = self.path(key)?;
        if let Some(parent) = path.parent() {
            tokio::fs::create_dir_all(parent).await?;
        }
        // Written beside, then renamed: readers see the old object or the whole new one.
        let partial = path.with_extension(format!("partial-{}", uuid::Uuid::new_v4().simple()));
        let written = async {
            tokio::fs::write(&partial, bytes).await?;
            tokio::fs::rename(&partial, &path).await
        }
        .await;
        if written.is_err() {
            let _ = tokio::fs::remove_file(&partial).await;
        }
        Ok(written?)
    }

    async fn read(&self, key: &str) -> StorageResult<Vec<u8>> {
        match tokio::fs::read(self.path(key)?).await {
            Ok(bytes) => Ok(bytes),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                Err(StorageError::NotFound)
            }
            Err(error) => Err(error.into()),
        }
    }

    async fn remove(&self, key: &str) -> StorageResult<()> {
        match tokio::fs::remove_file(self.path(key)?).await {
            Ok(()) => Ok(()),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(error) => Err(error.into()),
        }
    }
}

impl Storage for DiskStorage {
    fn put<'a>(&'a self, key: &'a str, bytes: &'a [u8]) -> StorageFuture<'a, ()> {
        Box::pin(self.write(key, bytes))
    }

    fn get<'a>(&'a self, key: &'a str) -> StorageFuture<'a, Vec<u8>> {
        Box::pin(self.read(key))
    }

    fn delete<'a>(&'a self, key: &'a str) -> StorageFuture<'a, ()> {
        Box::pin(self.remove(key))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn put_get_delete_round_trip_under_the_root_only() {
        let dir = tempfile::tempdir().unwrap();
        let store: Box<dyn Storage> =
            Box::new(DiskStorage::open(dir.path().join("uploads")).unwrap());
        store.put("requests/r1/d1", b"%PDF-1.7").await.unwrap();
        assert_eq!(store.get("requests/r1/d1").await.unwrap(), b"%PDF-1.7");
        assert!(dir.path().join("uploads/requests/r1/d1").is_file());
        // Replaced whole; no partial file left beside it.
        store.put("requests/r1/d1", b"second").await.unwrap();
        assert_eq!(store.get("requests/r1/d1").await.unwrap(), b"second");
        assert_eq!(
            std::fs::read_dir(dir.path().join("uploads/requests/r1"))
                .unwrap()
                .count(),
            1
        );
        store.delete("requests/r1/d1").await.unwrap();
        store.delete("requests/r1/d1").await.unwrap();
        assert!(matches!(
            store.get("requests/r1/d1").await,
            Err(StorageError::NotFound)
        ));
        assert!(matches!(
            store.put("../escape", b"x").await,
            Err(StorageError::InvalidKey(_))
        ));
        assert!(!dir.path().join("escape").exists());
    }
}
