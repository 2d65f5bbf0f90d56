//! The users file of `convlake serve`: who may connect, the workspaces each
//! may see, and a SCRAM-SHA-256 verifier per user (a salt and the salted
//! password of RFC 5802, never the password).
//!
//! ```json
//! {"users": [{"name": "alice", "workspaces": ["ws01"],
//!             "scram_sha_256": {"iterations": 4096, "salt": "…", "salted_password": "…"}}]}
//! ```
//!
//! An empty `workspaces` list is every workspace.

use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// SCRAM's iteration count: the one every verifier of the file uses and the
/// server announces (RFC 7677's minimum, PostgreSQL's default).
pub const ITERATIONS: usize = 4096;

/// A user's SCRAM-SHA-256 verifier.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verifier {
    pub iterations: usize,
    /// Base64.
    pub salt: String,
    /// Base64 of `Hi(password, salt, iterations)`.
    pub salted_password: String,
}

impl Verifier {
    /// A verifier of `password` with a fresh random salt.
    pub fn new(password: &str) -> Result<Verifier> {
        let mut salt = [0u8; 16];
        getrandom_02::getrandom(&mut salt).map_err(|e| Error::Parameter {
            name: "password".into(),
            reason: format!("no randomness for a salt: {e}"),
        })?;
        let salted = datafusion_postgres::pgwire::api::auth::sasl::scram::gen_salted_password(
            password, &salt, ITERATIONS,
        );
        Ok(Verifier {
            iterations: ITERATIONS,
            salt: STANDARD.encode(salt),
            salted_password: STANDARD.encode(salted),
        })
    }

    /// The salt and salted password, decoded.
    pub fn decode(&self) -> std::result::Result<(Vec<u8>, Vec<u8>), String> {
        let salt = STANDARD
            .decode(&self.salt)
            .map_err(|e| format!("salt: {e}"))?;
        let salted = STANDARD
            .decode(&self.salted_password)
            .map_err(|e| format!("salted_password: {e}"))?;
        Ok((salt, salted))
    }
}

/// One user of the file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub name: String,
    /// The workspaces the user sees; empty is all of them.
    #[serde(default)]
    pub workspaces: Vec<String>,
    pub scram_sha_256: Verifier,
}

/// The users file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Users {
    pub users: Vec<User>,
}

impl Users {
    /// Reads and checks the file at `path`; the error names it.
    pub fn load(path: &Path) -> Result<Users> {
        let bad = |reason: String| Error::Parameter {
            name: "--users".into(),
            reason: format!("'{}': {reason}", path.display()),
        };
        let text = std::fs::read_to_string(path).map_err(|e| bad(e.to_string()))?;
        let users: Users = serde_json::from_str(&text).map_err(|e| bad(e.to_string()))?;
        for user in &users.users {
            if user.name.trim().is_empty() {
                return Err(bad("a user has no name".into()));
            }
            if user.scram_sha_256.iterations != ITERATIONS {
                return Err(bad(format!(
                    "user '{}': {} iterations, expected {ITERATIONS}",
                    user.name, user.scram_sha_256.iterations
                )));
            }
            user.scram_sha_256
                .decode()
                .map_err(|e| bad(format!("user '{}': {e}", user.name)))?;
        }
        Ok(users)
    }

    /// The file at `path`, or none when it does not exist yet.
    fn load_or_empty(path: &Path) -> Result<Users> {
        if path.exists() {
            Users::load(path)
        } else {
            Ok(Users::default())
        }
    }

    pub fn get(&self, name: &str) -> Option<&User> {
        self.users.iter().find(|u| u.name == name)
    }

    /// Adds `name` to the file at `path` (or replaces its entry), bound to
    /// `workspaces`, with a verifier of `password`. The file is replaced
    /// whole, readable by its owner only.
    pub fn add(path: &Path, name: &str, workspaces: &[String], password: &str) -> Result<()> {
        if name.trim().is_empty() || name.contains(char::is_whitespace) {
            return Err(Error::Parameter {
                name: "NAME".into(),
                reason: format!("'{name}' is not a user name (no spaces)"),
            });
        }
        if password.is_empty() {
            return Err(Error::Parameter {
                name: "password".into(),
                reason: "empty (give it on standard input or in CONVLAKE_PASSWORD)".into(),
            });
        }
        let mut users = Users::load_or_empty(path)?;
        users.users.retain(|u| u.name != name);
        users.users.push(User {
            name: name.to_string(),
            workspaces: workspaces.to_vec(),
            scram_sha_256: Verifier::new(password)?,
        });
        users.users.sort_by(|a, b| a.name.cmp(&b.name));
        let text = serde_json::to_string_pretty(&users).expect("plain strings");
        write_private(path, text.as_bytes())
    }
}

/// Writes `bytes` to `path` through a temporary file beside it (mode 0600),
/// renamed into place once whole.
fn write_private(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write as _;
    let folder: PathBuf = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let mut file = tempfile::NamedTempFile::new_in(&folder)
        .map_err(Error::io("cannot create a file in", &folder))?;
    file.write_all(bytes).map_err(Error::io("writing", path))?;
    file.persist(path)
        .map_err(|e| Error::io("cannot write", path)(e.error))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_user_is_added_with_a_verifier_not_the_password() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("users.json");
        Users::add(&path, "alice", &["ws01".into()], "s3cret pass").unwrap();
        Users::add(&path, "bob", &[], "other").unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(!text.contains("s3cret"), "{text}");
        let users = Users::load(&path).unwrap();
        let alice = users.get("alice").unwrap();
        assert_eq!(alice.workspaces, ["ws01"]);
        // The verifier is RFC 5802's Hi(password, salt, 4096).
        let (salt, salted) = alice.scram_sha_256.decode().unwrap();
        assert_eq!(salt.len(), 16);
        assert_eq!(
            salted,
            datafusion_postgres::pgwire::api::auth::sasl::scram::gen_salted_password(
                "s3cret pass",
                &salt,
                4096
            )
        );
        // Adding again replaces the entry, with a new salt.
        Users::add(&path, "alice", &[], "s3cret pass").unwrap();
        let again = Users::load(&path).unwrap();
        assert_eq!(again.users.len(), 2);
        assert_ne!(
            again.get("alice").unwrap().scram_sha_256.salt,
            alice.scram_sha_256.salt
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o077, 0, "readable by others: {mode:o}");
        }
    }

    #[test]
    fn a_bad_file_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("users.json");
        std::fs::write(&path, "{\"users\": [{\"name\": \"x\"}]}").unwrap();
        let err = Users::load(&path).unwrap_err().to_string();
        assert!(
            err.contains("--users") && err.contains("users.json"),
            "{err}"
        );
        assert!(Users::add(&path, "has space", &[], "p").is_err());
    }
}
