//! shopflow's return vouchers (`voucher.issue`): a printable PDF (Chinese and English, an
//! embedded CJK font, a QR code, the RMA number, order and items, return address, deadline and
//! instructions) stored as a run artifact, and a signed link that anyone holding it can open
//! at `GET /v/{token}` to check the voucher — a page with only non-personal fields.
//!
//! See docs/functions/voucher.issue.md.

pub mod function;
pub mod page;
pub mod sheet;
pub mod token;
pub mod voucher;

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use sha2::{Digest, Sha256};
use shopflow_core::{Artifact, ArtifactStore, FunctionRegistry};

pub use sheet::{FontFiles, Fonts};
pub use token::{Signer, TokenError};
pub use voucher::{Record, Request};

/// Media type of the public record.
const RECORD_TYPE: &str = "application/vnd.shopflow.voucher+json";

/// Issues and checks vouchers: the key, the artifact store, the fonts and the public address.
pub struct Vouchers {
    signer: Signer,
    store: ArtifactStore,
    base_url: String,
    font_files: FontFiles,
    fonts: OnceLock<Result<Fonts, String>>,
}

/// A voucher that was issued (the function's output).
#[derive(Debug, Clone, serde::Serialize)]
pub struct Issued {
    /// Return authorisation number.
    pub rma: String,
    /// The signed token.
    pub token: String,
    /// The page that checks the voucher (`BASE/v/TOKEN`), also in the QR code.
    pub url: String,
    /// The PDF for the buyer (`BASE/v/TOKEN/voucher.pdf`).
    pub pdf_url: String,
    /// The PDF artifact.
    pub pdf: Artifact,
    /// The deadline, as given.
    pub deadline: String,
}

/// Why a voucher could not be issued or shown.
#[derive(Debug, thiserror::Error)]
pub enum VoucherError {
    /// The arguments are wrong; retrying the same call cannot help.
    #[error("{0}")]
    Invalid(String),
    /// The fonts are missing or unusable.
    #[error("{0}")]
    Fonts(String),
    /// The artifact store failed (disk full, permissions); a retry may help.
    #[error("{0}")]
    Store(String),
    /// The PDF could not be made.
    #[error("cannot render the voucher: {0}")]
    Render(String),
    /// The token is not genuine.
    #[error(transparent)]
    Token(#[from] TokenError),
    /// A genuine token whose record is not in this store (another data directory).
    #[error("the voucher's record is not in this shopflow's data directory")]
    Missing,
}

impl Vouchers {
    /// Vouchers signed with `key`, stored in `store`, linked under `base_url`
    /// (`https://returns.example.com`).
    pub fn new(key: Vec<u8>, store: ArtifactStore, base_url: &str, fonts: FontFiles) -> Self {
        Self {
            signer: Signer::new(key),
            store,
            base_url: base_url.trim_end_matches('/').to_owned(),
            font_files: fonts,
            fonts: OnceLock::new(),
        }
    }

    /// The key in `path`, made (32 random bytes, mode 0600) when the file does not exist yet.
    pub fn key_file(path: &Path) -> Result<Vec<u8>, String> {
        match std::fs::read(path) {
            Ok(key) => {
                Signer::check_key(&key).map_err(|e| format!("{}: {e}", path.display()))?;
                Ok(key)
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let mut key = vec![0u8; 32];
                getrandom::fill(&mut key).map_err(|e| format!("cannot make a voucher key: {e}"))?;
                write_private(path, &key)
                    .map_err(|e| format!("cannot write the voucher key {}: {e}", path.display()))?;
                Ok(key)
            }
            Err(e) => Err(format!(
                "cannot read the voucher key {}: {e}",
                path.display()
            )),
        }
    }

    fn fonts(&self) -> Result<&Fonts, VoucherError> {
        self.fonts
            .get_or_init(|| Fonts::load(&self.font_files).map_err(|e| e.to_string()))
            .as_ref()
            .map_err(|e| VoucherError::Fonts(e.clone()))
    }

    /// Issues the voucher of `args`; `idempotency_key` names the RMA when `args` has none,
    /// so a retried step issues the same voucher.
    pub fn issue(
        &self,
        args: serde_json::Value,
        idempotency_key: &str,
    ) -> Result<Issued, VoucherError> {
        let req = Request::from_args(args).map_err(VoucherError::Invalid)?;
        let rma = req.rma.clone().unwrap_or_else(|| rma_for(idempotency_key));
        let record = req.record(&rma);
        let record_bytes =
            serde_json::to_vec(&record).map_err(|e| VoucherError::Render(e.to_string()))?;
        let stored = self
            .store
            .put(&record_bytes, RECORD_TYPE, &format!("voucher-{rma}.json"))
            .map_err(|e| VoucherError::Store(e.to_string()))?;
        let digest: [u8; 32] = Sha256::digest(&record_bytes).into();
        debug_assert_eq!(stored.artifact, format!("sha256:{}", hex(&digest)));
        let token = self.signer.sign(&digest);
        let url = format!("{}/v/{token}", self.base_url);
        let sheets = voucher::layout(&req, &rma, &url).map_err(VoucherError::Render)?;
        let pdf = sheet::Sheet::render(
            &sheets,
            self.fonts()?,
            &format!("退货凭证 Return voucher {rma}"),
        )
        .map_err(VoucherError::Render)?;
        let pdf = self
            .store
            .put(&pdf, "application/pdf", &format!("voucher-{rma}.pdf"))
            .map_err(|e| VoucherError::Store(e.to_string()))?;
        write_private(&self.link_path(&digest), pdf.artifact.as_bytes())
            .map_err(|e| VoucherError::Store(format!("cannot link the voucher PDF: {e}")))?;
        Ok(Issued {
            rma,
            pdf_url: format!("{url}/voucher.pdf"),
            url,
            token,
            pdf,
            deadline: record.deadline,
        })
    }

    /// The public record of a genuine `token`.
    pub fn verify(&self, token: &str) -> Result<Record, VoucherError> {
        let digest = self.signer.verify(token)?;
        let bytes = self
            .store
            .get(&format!("sha256:{}", hex(&digest)))
            .map_err(|e| VoucherError::Store(e.to_string()))?
            .ok_or(VoucherError::Missing)?;
        serde_json::from_slice(&bytes).map_err(|e| VoucherError::Store(e.to_string()))
    }

    /// The PDF of a genuine `token`.
    pub fn pdf(&self, token: &str) -> Result<Vec<u8>, VoucherError> {
        let digest = self.signer.verify(token)?;
        let reference =
            std::fs::read_to_string(self.link_path(&digest)).map_err(|_| VoucherError::Missing)?;
        self.store
            .get(reference.trim())
            .map_err(|e| VoucherError::Store(e.to_string()))?
            .ok_or(VoucherError::Missing)
    }

    /// Where the record's PDF reference is kept (the PDF holds the link, so the link cannot
    /// hold the PDF's digest).
    fn link_path(&self, digest: &[u8; 32]) -> PathBuf {
        self.store.dir().join("vouchers").join(hex(digest))
    }
}

/// `RMA-` and 10 characters derived from the step's idempotency key.
pub fn rma_for(idempotency_key: &str) -> String {
    const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    let digest = Sha256::digest(idempotency_key.as_bytes());
    let mut n = u64::from_be_bytes(digest[..8].try_into().unwrap_or([0; 8]));
    let mut out = String::from("RMA-");
    for _ in 0..10 {
        out.push(char::from(ALPHABET[(n % 32) as usize]));
        n /= 32;
    }
    out
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// Writes `bytes` to `path` (parents created) readable by the owner only, replacing it whole.
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write as _;
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        tmp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// Registers `voucher.issue` over `vouchers`.
pub fn register(registry: &mut FunctionRegistry, vouchers: Arc<Vouchers>) {
    registry.register(
        "voucher.issue",
        Arc::new(function::VoucherIssue::new(vouchers)),
    );
}
