//! Where a lake is: the URL a user's location names, and the object store
//! that reaches it, configured from the environment.

use std::sync::Arc;

use object_store::ObjectStore;
use object_store::path::Path;
use url::Url;

use crate::error::{Error, Result};

/// Turns what a user typed (`s3://b/p`, `file:///x`, `./x`, `C:\x`) into the
/// lake's root URL, ending in `/`.
pub fn lake_url(location: &str) -> Result<Url> {
    let bad = |reason: String| Error::LakeUrl {
        url: location.to_string(),
        reason,
    };
    let mut url = match Url::parse(location) {
        Ok(url) if url.scheme().len() > 1 => url,
        _ => {
            let path = std::path::absolute(location).map_err(|e| bad(e.to_string()))?;
            Url::from_directory_path(&path).map_err(|()| bad("not an absolute path".into()))?
        }
    };
    match url.scheme() {
        "file" | "s3" | "s3a" | "gs" | "az" | "abfs" | "abfss" | "memory" => {}
        other => {
            return Err(bad(format!(
                "unsupported scheme '{other}' (use file, s3, gs or az)"
            )));
        }
    }
    if !url.path().ends_with('/') {
        url.set_path(&format!("{}/", url.path()));
    }
    Ok(url)
}

/// The object store for a lake URL, configured from the environment
/// (`AWS_*`, `GOOGLE_*`, `AZURE_*` variables, as object_store reads them).
pub(crate) fn object_store_for(url: &Url) -> Result<Arc<dyn ObjectStore>> {
    store_with_retry(url, object_store::RetryConfig::default())
}

/// The store of an export's destination: its client tries a request at most
/// three times within 10 s (object_store's default: ten times, 3 min), so
/// an unreachable destination is an error in seconds; a jobs file's job
/// has retries of its own, with its own backoff.
pub(crate) fn destination_store_for(url: &Url) -> Result<Arc<dyn ObjectStore>> {
    store_with_retry(
        url,
        object_store::RetryConfig {
            max_retries: 2,
            retry_timeout: std::time::Duration::from_secs(10),
            ..Default::default()
        },
    )
}

fn store_with_retry(url: &Url, retry: object_store::RetryConfig) -> Result<Arc<dyn ObjectStore>> {
    let store_error = |source| Error::ObjectStore {
        context: format!("configuring a store for '{url}'"),
        source,
    };
    let store: Arc<dyn ObjectStore> = match url.scheme() {
        "file" => Arc::new(object_store::local::LocalFileSystem::new()),
        "s3" | "s3a" => Arc::new(
            object_store::aws::AmazonS3Builder::from_env()
                .with_url(url.as_str())
                .with_retry(retry)
                .build()
                .map_err(store_error)?,
        ),
        "gs" => Arc::new(
            object_store::gcp::GoogleCloudStorageBuilder::from_env()
                .with_url(url.as_str())
                .with_retry(retry)
                .build()
                .map_err(store_error)?,
        ),
        "az" | "abfs" | "abfss" => Arc::new(
            object_store::azure::MicrosoftAzureBuilder::from_env()
                .with_url(url.as_str())
                .with_retry(retry)
                .build()
                .map_err(store_error)?,
        ),
        other => {
            return Err(Error::LakeUrl {
                url: url.to_string(),
                reason: format!("no object store for '{other}'"),
            });
        }
    };
    Ok(store)
}

/// `runtime_env().object_store` takes anything that is `AsRef<Url>`.
pub(crate) struct ObjectStoreUrlOf<'a>(pub(crate) &'a Url);
impl AsRef<Url> for ObjectStoreUrlOf<'_> {
    fn as_ref(&self) -> &Url {
        self.0
    }
}

/// The table's folder inside the store.
pub(crate) fn table_prefix(url: &Url, table: &str) -> Path {
    let root = Path::from_url_path(url.path()).unwrap_or_default();
    root.clone().join(table)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lake_urls() {
        assert_eq!(
            lake_url("s3://bucket/lake").unwrap().as_str(),
            "s3://bucket/lake/"
        );
        assert_eq!(
            lake_url("file:///tmp/lake/").unwrap().as_str(),
            "file:///tmp/lake/"
        );
        let rel = lake_url("data/sample").unwrap();
        assert_eq!(rel.scheme(), "file");
        assert!(rel.path().ends_with("/data/sample/"), "{rel}");
        let err = lake_url("ftp://host/lake").unwrap_err().to_string();
        assert!(err.contains("unsupported scheme 'ftp'"), "{err}");
    }
}
