//! The local server's development secret: when no JWT key is configured, `omnicanal serve`
//! creates a random HS256 secret in its data dir (and says so), and `omnicanal token` signs
//! with it. No other host has a default: Lambda and Workers refuse to start without a key.

use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use omnicanal_pipeline::config::{Config, JwtKey};

/// The file holding the secret, inside the data dir.
const FILE: &str = "jwt-secret";

/// Where the key came from, for the start-up log.
#[derive(Debug)]
pub(crate) enum KeySource {
    /// OMNICANAL_JWT_SECRET / _PUBLIC_KEY / _JWKS.
    Configured,
    /// An existing development secret file.
    DevFile(PathBuf),
    /// A development secret created just now.
    CreatedDevFile(PathBuf),
}

/// Fills in `config.jwt.key` from the data dir when none is configured, creating the secret
/// the first time.
pub(crate) fn ensure(config: &mut Config) -> Result<KeySource, String> {
    if config.jwt.key.is_some() {
        return Ok(KeySource::Configured);
    }
    let path = config.data_dir.join(FILE);
    let (secret, source) = match fs::read_to_string(&path) {
        Ok(text) => (text.trim().to_owned(), KeySource::DevFile(path)),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
            let secret = create(&config.data_dir, &path)?;
            (secret, KeySource::CreatedDevFile(path))
        }
        Err(err) => return Err(format!("reading {}: {err}", path.display())),
    };
    config.jwt.key = Some(JwtKey::Secret(secret.into_bytes()));
    Ok(source)
}

fn create(dir: &Path, path: &Path) -> Result<String, String> {
    fs::create_dir_all(dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
    let bytes = omnicanal_platform::random::bytes::<32>().map_err(|e| format!("no random source: {e}"))?;
    let secret = hex_encode(&bytes);
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut file = options.open(path).map_err(|e| format!("creating {}: {e}", path.display()))?;
    file.write_all(secret.as_bytes()).map_err(|e| format!("writing {}: {e}", path.display()))?;
    Ok(secret)
}

fn hex_encode(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
