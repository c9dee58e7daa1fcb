//! The applicant's documents: what kind each is (the prerequisites of the operators' rules
//! that it answers), and which files are accepted (checked by content AND name).

use std::{fmt, str::FromStr};

use super::InputError;

/// What a document is. Each kind answers the operator prerequisite of the same code, so the
/// completeness checklist matches uploads to what the operators asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DocumentKind {
    /// V-9.1.1: situation plan at 1/10,000 or 1/5,000.
    SituationPlan,
    /// V-9.1.1: parcel plan in Lambert 72.
    ParcelPlan,
    /// V-9.1.1: road plan in Lambert 72, for new roads.
    RoadPlan,
    /// V-9.1.1: the permit copy, at the latest 15 days before works (V-8.6 under lines).
    PermitCopy,
    /// V-9.1.2: the as-built DWG plan (PICC standard) within 15 days after works.
    AsBuiltPlan,
    /// B-4.1: legal title on the parcel (title deed).
    LegalTitle,
    /// B-4.1: trade-register extract of a legal person.
    TradeRegisterExtract,
    /// B-4.1: proof of VAT exemption.
    VatExemptionProof,
    /// SWDE's CertIBEau certificate of the indoor installation.
    Certibeau,
    /// The client's declaration the 6% VAT rate requires: a dwelling first occupied 10 years
    /// ago or more, mainly used as a private home (Royal Decree n° 20, table A, XXXI).
    VatReducedRateDeclaration,
    /// Anything else the applicant wants the case officer to have.
    Other,
}

impl DocumentKind {
    pub const ALL: [DocumentKind; 11] = [
        Self::SituationPlan,
        Self::ParcelPlan,
        Self::RoadPlan,
        Self::PermitCopy,
        Self::AsBuiltPlan,
        Self::LegalTitle,
        Self::TradeRegisterExtract,
        Self::VatExemptionProof,
        Self::Certibeau,
        Self::VatReducedRateDeclaration,
        Self::Other,
    ];

    /// The stored code, which is also the code of the prerequisite the document answers
    /// (`operators::Prerequisite::code`), except for `other`.
    pub fn code(self) -> &'static str {
        match self {
            Self::SituationPlan => "situation_plan",
            Self::ParcelPlan => "parcel_plan_lambert72",
            Self::RoadPlan => "road_plan",
            Self::PermitCopy => "permit_copy",
            Self::AsBuiltPlan => "as_built_plan_dwg",
            Self::LegalTitle => "legal_title",
            Self::TradeRegisterExtract => "trade_register_extract",
            Self::VatExemptionProof => "vat_exemption_proof",
            Self::Certibeau => "certibeau",
            Self::VatReducedRateDeclaration => "vat_reduced_rate_declaration",
            Self::Other => "other",
        }
    }

    /// The kind of document that fulfils the prerequisite `code`, if a document does.
    pub fn for_prerequisite(code: &str) -> Option<DocumentKind> {
        Self::ALL
            .into_iter()
            .filter(|kind| *kind != Self::Other)
            .find(|kind| kind.code() == code)
    }

    /// The prerequisite codes a document of this kind answers; none for `other`.
    pub fn prerequisite_codes(self) -> &'static [&'static str] {
        match self {
            Self::SituationPlan => &["situation_plan"],
            Self::ParcelPlan => &["parcel_plan_lambert72"],
            Self::RoadPlan => &["road_plan"],
            Self::PermitCopy => &["permit_copy"],
            Self::AsBuiltPlan => &["as_built_plan_dwg"],
            Self::LegalTitle => &["legal_title"],
            Self::TradeRegisterExtract => &["trade_register_extract"],
            Self::VatExemptionProof => &["vat_exemption_proof"],
            Self::Certibeau => &["certibeau"],
            Self::VatReducedRateDeclaration => &["vat_reduced_rate_declaration"],
            Self::Other => &[],
        }
    }

    /// Whether an operator that asks for `prerequisite_codes` may read a document of this
    /// kind. An `other` document concerns no operator in particular: it stays with the single
    /// point of contact (C-2).
    pub fn concerns<'a>(self, mut prerequisite_codes: impl Iterator<Item = &'a str>) -> bool {
        prerequisite_codes.any(|code| self.prerequisite_codes().contains(&code))
    }
}

impl FromStr for DocumentKind {
    type Err = InputError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|kind| kind.code() == s.trim())
            .ok_or(InputError::Choice)
    }
}

impl fmt::Display for DocumentKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// The file types accepted: plans and scans.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileType {
    Pdf,
    Png,
    Jpeg,
    /// AutoCAD drawing, for plans in the PICC standard (V-9.1.2).
    Dwg,
}

impl FileType {
    pub const ALL: [FileType; 4] = [Self::Pdf, Self::Png, Self::Jpeg, Self::Dwg];

    pub fn content_type(self) -> &'static str {
        match self {
            Self::Pdf => "application/pdf",
            Self::Png => "image/png",
            Self::Jpeg => "image/jpeg",
            Self::Dwg => "image/vnd.dwg",
        }
    }

    /// The type a stored content type names (only the ones this module produces).
    pub fn from_content_type(content_type: &str) -> Option<FileType> {
        Self::ALL
            .into_iter()
            .find(|t| t.content_type() == content_type)
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Pdf => "PDF",
            Self::Png => "PNG",
            Self::Jpeg => "JPEG",
            Self::Dwg => "DWG",
        }
    }

    /// The type a file name claims by its extension (case-insensitive).
    pub fn from_extension(filename: &str) -> Option<FileType> {
        let (_, extension) = filename.rsplit_once('.')?;
        match extension.to_ascii_lowercase().as_str() {
            "pdf" => Some(Self::Pdf),
            "png" => Some(Self::Png),
            "jpg" | "jpeg" => Some(Self::Jpeg),
            "dwg" => Some(Self::Dwg),
            _ => None,
        }
    }

    /// The type the content is, by its leading "magic" bytes.
    pub fn sniff(content: &[u8]) -> Option<FileType> {
        if content.starts_with(b"%PDF-") {
            Some(Self::Pdf)
        } else if content.starts_with(b"\x89PNG\r\n\x1a\n") {
            Some(Self::Png)
        } else if content.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(Self::Jpeg)
        } else if content.len() >= 6
            && content.starts_with(b"AC10")
            && content[4..6].iter().all(u8::is_ascii_digit)
        {
            // AutoCAD R13 (AC1012) and later: the version string opens the file.
            Some(Self::Dwg)
        } else {
            None
        }
    }
}

/// Why an uploaded file was refused. Each has a message key (`document.refused.<key>`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FileRefusal {
    #[error("no file was chosen")]
    NoFile,
    #[error("the file is empty")]
    Empty,
    #[error("the file is larger than {max_mb} MB")]
    TooLarge { max_mb: u64 },
    #[error("only PDF, PNG, JPEG and DWG files are accepted")]
    UnsupportedName,
    #[error("the file's content is not the {claimed} its name says")]
    Disguised { claimed: &'static str },
    /// The request holds as many documents as one may.
    #[error("the request already holds {max} documents")]
    TooManyFiles { max: u32 },
    /// The request's documents together would go past the limit.
    #[error("the request's documents would exceed {max_mb} MB together")]
    RequestFull { max_mb: u64 },
}

impl FileRefusal {
    pub fn key(&self) -> &'static str {
        match self {
            Self::NoFile => "no_file",
            Self::Empty => "empty",
            Self::TooLarge { .. } => "too_large",
            Self::UnsupportedName => "unsupported",
            Self::Disguised { .. } => "disguised",
            Self::TooManyFiles { .. } => "too_many",
            Self::RequestFull { .. } => "request_full",
        }
    }

    pub fn args(&self) -> Vec<(&'static str, String)> {
        match self {
            Self::TooLarge { max_mb } => vec![("max", max_mb.to_string())],
            Self::Disguised { claimed } => vec![("claimed", (*claimed).to_owned())],
            Self::TooManyFiles { max } => vec![("max", max.to_string())],
            Self::RequestFull { max_mb } => vec![("max", max_mb.to_string())],
            _ => Vec::new(),
        }
    }
}

/// A file that passed every check: non-empty, within the size limit, and whose content is
/// the type its name claims.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedFile {
    pub filename: String,
    pub file_type: FileType,
}

/// What one request's documents may hold together.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequestQuota {
    pub max_files: u32,
    pub max_bytes: u64,
}

impl RequestQuota {
    /// Whether a file of `size` bytes fits beside the `files` documents of `bytes` bytes the
    /// request already holds.
    pub fn admits(&self, files: u64, bytes: u64, size: u64) -> Result<(), FileRefusal> {
        if files >= u64::from(self.max_files) {
            return Err(FileRefusal::TooManyFiles {
                max: self.max_files,
            });
        }
        if bytes.saturating_add(size) > self.max_bytes {
            return Err(FileRefusal::RequestFull {
                max_mb: megabytes(self.max_bytes),
            });
        }
        Ok(())
    }
}

/// The largest size in whole megabytes shown in a refusal.
fn megabytes(bytes: u64) -> u64 {
    bytes.div_ceil(1024 * 1024)
}

/// Checks an uploaded file: `size` is its full length, `head` at least its first bytes.
/// The type is checked twice — the name's extension AND the content's magic bytes must both
/// be an accepted type, and the same one (a `.pdf` that is a PNG is refused).
pub fn check_file(
    raw_filename: &str,
    size: u64,
    head: &[u8],
    max_bytes: u64,
) -> Result<CheckedFile, FileRefusal> {
    let filename = clean_filename(raw_filename);
    if filename.is_empty() {
        return Err(FileRefusal::NoFile);
    }
    if size == 0 {
        return Err(FileRefusal::Empty);
    }
    if size > max_bytes {
        return Err(FileRefusal::TooLarge {
            max_mb: megabytes(max_bytes),
        });
    }
    let claimed = FileType::from_extension(&filename).ok_or(FileRefusal::UnsupportedName)?;
    match FileType::sniff(head) {
        Some(actual) if actual == claimed => Ok(CheckedFile {
            filename,
            file_type: claimed,
        }),
        _ => Err(FileRefusal::Disguised {
            claimed: claimed.label(),
        }),
    }
}

/// The name to show and to offer on download: the last path segment, without control
/// characters, quotes or the invisible characters that reorder or hide text (a right-to-left
/// override makes `photo\u{202E}gnp.exe` read `photoexe.png`), at most 200 characters.
pub fn clean_filename(raw: &str) -> String {
    let last = raw.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = last
        .chars()
        .filter(|c| !c.is_control() && *c != '"' && !is_invisible_format(*c))
        .take(200)
        .collect();
    let trimmed = cleaned.trim();
    if trimmed.trim_matches('.').is_empty() {
        String::new()
    } else {
        trimmed.to_owned()
    }
}

/// Bidirectional controls, zero-width characters and the byte-order mark: they change how a
/// name reads without showing themselves.
fn is_invisible_format(c: char) -> bool {
    matches!(
        c,
        '\u{061C}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{2069}'
            | '\u{FEFF}'
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const PDF: &[u8] = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj";
    const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
    const JPEG: &[u8] = b"\xFF\xD8\xFF\xE0\0\x10JFIF";
    const DWG: &[u8] = b"AC1032\0\0\0\0\0";
    const MB: u64 = 1024 * 1024;

    #[test]
    fn a_request_holds_so_many_documents_and_so_many_bytes() {
        let quota = RequestQuota {
            max_files: 20,
            max_bytes: 50 * MB,
        };
        assert_eq!(quota.admits(0, 0, 20 * MB), Ok(()));
        assert_eq!(quota.admits(19, 30 * MB, 20 * MB), Ok(()));
        assert_eq!(
            quota.admits(20, MB, 1),
            Err(FileRefusal::TooManyFiles { max: 20 })
        );
        assert_eq!(
            quota.admits(3, 30 * MB, 20 * MB + 1),
            Err(FileRefusal::RequestFull { max_mb: 50 })
        );
        assert_eq!(
            quota.admits(3, u64::MAX, 1),
            Err(FileRefusal::RequestFull { max_mb: 50 })
        );
    }

    proptest! {
        #[test]
        fn the_quota_admits_exactly_what_fits(
            files in 0u64..40, bytes in 0u64..200, size in 0u64..200, max_files in 1u32..30,
            max_bytes in 0u64..300,
        ) {
            let quota = RequestQuota { max_files, max_bytes };
            let fits = files < u64::from(max_files) && bytes + size <= max_bytes;
            prop_assert_eq!(quota.admits(files, bytes, size).is_ok(), fits);
        }
    }

    #[test]
    fn v_9_1_1_and_b_4_1_each_document_answers_the_prerequisite_of_its_code() {
        for kind in DocumentKind::ALL {
            assert_eq!(kind.code().parse::<DocumentKind>(), Ok(kind));
            if kind == DocumentKind::Other {
                assert!(kind.prerequisite_codes().is_empty());
                assert_eq!(DocumentKind::for_prerequisite("other"), None);
            } else {
                assert_eq!(kind.prerequisite_codes(), [kind.code()]);
                assert_eq!(DocumentKind::for_prerequisite(kind.code()), Some(kind));
            }
        }
        assert_eq!(
            DocumentKind::for_prerequisite("parcel_plan_lambert72"),
            Some(DocumentKind::ParcelPlan)
        );
        // Not a document: a trench, a payment, a survey.
        for code in ["trench_and_sleeve", "payment", "survey", "meter_location"] {
            assert_eq!(DocumentKind::for_prerequisite(code), None, "{code}");
        }
        assert_eq!("title".parse::<DocumentKind>(), Err(InputError::Choice));
    }

    #[test]
    fn a_document_concerns_the_operators_that_ask_for_it_only() {
        let swde = ["legal_title", "survey", "certibeau", "payment"];
        let ores = ["situation_plan", "permit_copy", "trench_and_sleeve"];
        assert!(DocumentKind::Certibeau.concerns(swde.into_iter()));
        assert!(!DocumentKind::Certibeau.concerns(ores.into_iter()));
        assert!(DocumentKind::PermitCopy.concerns(ores.into_iter()));
        assert!(!DocumentKind::Other.concerns(swde.into_iter()));
    }

    #[test]
    fn accepted_files_are_recognised_by_name_and_content() {
        for (name, head, expected) in [
            ("plan.pdf", PDF, FileType::Pdf),
            ("PHOTO.PNG", PNG, FileType::Png),
            ("scan.jpg", JPEG, FileType::Jpeg),
            ("scan.JPEG", JPEG, FileType::Jpeg),
            ("as-built.dwg", DWG, FileType::Dwg),
        ] {
            let checked = check_file(name, 1000, head, 20 * MB).unwrap();
            assert_eq!(checked.file_type, expected, "{name}");
            assert_eq!(checked.filename, name);
        }
    }

    #[test]
    fn a_pdf_that_is_a_png_is_refused() {
        assert_eq!(
            check_file("titre.pdf", 1000, PNG, 20 * MB),
            Err(FileRefusal::Disguised { claimed: "PDF" })
        );
        // Unknown content with an accepted name, too.
        assert_eq!(
            check_file("plan.dwg", 1000, b"MZ\x90\0 executable", 20 * MB),
            Err(FileRefusal::Disguised { claimed: "DWG" })
        );
    }

    #[test]
    fn other_names_empty_and_oversized_files_are_refused() {
        assert_eq!(
            check_file("plan.exe", 1000, PDF, 20 * MB),
            Err(FileRefusal::UnsupportedName)
        );
        assert_eq!(
            check_file("plan", 1000, PDF, 20 * MB),
            Err(FileRefusal::UnsupportedName)
        );
        assert_eq!(
            check_file("plan.pdf", 0, b"", 20 * MB),
            Err(FileRefusal::Empty)
        );
        assert_eq!(
            check_file("plan.pdf", 20 * MB + 1, PDF, 20 * MB),
            Err(FileRefusal::TooLarge { max_mb: 20 })
        );
        assert!(check_file("plan.pdf", 20 * MB, PDF, 20 * MB).is_ok());
        assert_eq!(check_file("", 10, PDF, MB), Err(FileRefusal::NoFile));
    }

    #[test]
    fn file_names_lose_their_path_and_control_characters() {
        assert_eq!(clean_filename("C:\\Users\\marie\\titre.pdf"), "titre.pdf");
        assert_eq!(clean_filename("../../etc/passwd.pdf"), "passwd.pdf");
        assert_eq!(clean_filename("a\"b\r\n.pdf"), "ab.pdf");
        assert_eq!(clean_filename(".."), "");
        assert_eq!(clean_filename("facture\u{202E}fdp.exe"), "facturefdp.exe");
        assert_eq!(
            clean_filename("\u{2066}plan\u{200B}\u{200F}\u{FEFF}.pdf\u{2069}"),
            "plan.pdf"
        );
        assert_eq!(clean_filename("\u{202E}"), "");
        assert_eq!(clean_filename("x".repeat(300).as_str()).len(), 200);
    }

    proptest! {
        #[test]
        fn a_checked_file_always_has_matching_name_and_content(
            name in "[a-zA-Z0-9 ._/-]{0,40}",
            head in proptest::collection::vec(any::<u8>(), 0..16),
            size in 0u64..100,
        ) {
            if let Ok(checked) = check_file(&name, size, &head, 50) {
                prop_assert!(size > 0 && size <= 50);
                prop_assert_eq!(FileType::sniff(&head), Some(checked.file_type));
                prop_assert_eq!(FileType::from_extension(&checked.filename), Some(checked.file_type));
                prop_assert!(!checked.filename.contains('/'));
            }
        }
    }
}
