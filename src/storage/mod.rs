//! Where uploaded files live: a small key–value interface, so the disk store used by default
//! can be replaced by object storage (S3-compatible) when several instances serve the site.
//! Nothing here checks who may read a file: callers authorise first, then read by key.

pub mod disk;

use std::{future::Future, pin::Pin};

pub use disk::DiskStorage;

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("no stored object under this key")]
    NotFound,
    #[error("invalid storage key {0:?}")]
    InvalidKey(String),
    #[error("storage I/O: {0}")]
    Io(#[from] std::io::Error),
}

pub type StorageResult<T> = Result<T, StorageError>;

/// A boxed future, so the trait can be used as `dyn Storage`.
pub type StorageFuture<'a, T> = Pin<Box<dyn Future<Output = StorageResult<T>> + Send + 'a>>;

/// Stores opaque bytes by key. Keys are made by the application (never from user input):
/// lowercase ASCII letters, digits, `-`, `_` and `/` between segments.
pub trait Storage: Send + Sync {
    /// Writes the whole object; a reader never sees half of it.
    fn put<'a>(&'a self, key: &'a str, bytes: &'a [u8]) -> StorageFuture<'a, ()>;
    /// The whole object, or `NotFound`.
    fn get<'a>(&'a self, key: &'a str) -> StorageFuture<'a, Vec<u8>>;
    /// Removes the object; removing a missing one is not an error.
    fn delete<'a>(&'a self, key: &'a str) -> StorageFuture<'a, ()>;
}

/// Whether `key` is one the application could have made: no empty, `.` or `..` segment,
/// no leading slash, only safe characters.
pub fn valid_key(key: &str) -> bool {
    !key.is_empty()
        && key.len() <= 512
        && key.split('/').all(|segment| {
            !segment.is_empty()
                && segment != "."
                && segment != ".."
                && segment
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_cannot_leave_the_store() {
        assert!(valid_key("requests/0190-ab/0190-cd"));
        for bad in [
            "",
            "/etc/passwd",
            "requests/../secrets",
            "requests//x",
            "a/./b",
            "Upper",
            "with space",
            "back\\slash",
        ] {
            assert!(!valid_key(bad), "{bad:?}");
        }
    }
}
