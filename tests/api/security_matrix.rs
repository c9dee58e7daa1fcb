//! The route × role matrix. Every route the routers declare (read from the source: axum cannot
//! list them, so a new route without a row below fails the test) is tried by each of the twelve
//! demo accounts and by an anonymous visitor, with ids from the demo data: ids of the caller's
//! own tenant where that is meaningful, and ids of another tenant's requests, assessments,
//! documents, permits, works sites, crews and offers. Each try has an expected status; on top of
//! that any 5xx fails, any success on another tenant's data fails (a leak), and the POSTs sent
//! with another tenant's ids must leave the data as it was.

use std::{
    collections::{BTreeMap, BTreeSet},
    fs,
    path::Path,
};

use connect_my_home::demo::DEMO_USERS;
use reqwest::multipart::{Form, Part};

use crate::helpers::{
    TestApp, hidden, marie, other_coordinator, spawn_app_with_demo, text_of, with,
};

// ---------------------------------------------------------------------------------------
// The routes, read from the source

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Method {
    Get,
    Post,
}

impl Method {
    fn parse(word: &str) -> Option<Self> {
        match word {
            "get" => Some(Self::Get),
            "post" => Some(Self::Post),
            _ => None,
        }
    }
}

/// The code with comments blanked (line breaks and string literals kept), so a route named in a
/// comment does not count.
fn without_comments(source: &str) -> String {
    let chars: Vec<char> = source.chars().collect();
    let mut out = String::with_capacity(source.len());
    let mut i = 0;
    let is_ident = |c: char| c.is_alphanumeric() || c == '_';
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            let mut depth = 0;
            while i < chars.len() {
                if chars[i] == '/' && chars.get(i + 1) == Some(&'*') {
                    depth += 1;
                    i += 2;
                } else if chars[i] == '*' && chars.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    if chars[i] == '\n' {
                        out.push('\n');
                    }
                    i += 1;
                }
            }
        } else if c == '"' {
            let end = string_end(&chars, i);
            out.extend(&chars[i..end]);
            i = end;
        } else if c == 'r'
            && (i == 0 || !is_ident(chars[i - 1]))
            && matches!(next, Some('#') | Some('"'))
        {
            let mut j = i + 1;
            while chars.get(j) == Some(&'#') {
                j += 1;
            }
            if chars.get(j) != Some(&'"') {
                out.push(c);
                i += 1;
                continue;
            }
            let hashes = j - i - 1;
            let mut k = j + 1;
            while k < chars.len()
                && !(chars[k] == '"' && (1..=hashes).all(|h| chars.get(k + h) == Some(&'#')))
            {
                k += 1;
            }
            let end = (k + 1 + hashes).min(chars.len());
            out.extend(&chars[i..end]);
            i = end;
        } else if c == '\'' {
            // A char literal ('"', '\n', 'x'), else a lifetime.
            let end = if next == Some('\\') {
                (i + 2..chars.len())
                    .find(|&k| chars[k] == '\'')
                    .map_or(chars.len(), |k| k + 1)
            } else if chars.get(i + 2) == Some(&'\'') {
                i + 3
            } else {
                i + 1
            };
            out.extend(&chars[i..end]);
            i = end;
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

/// The index just past the string literal opening at `start`.
fn string_end(chars: &[char], start: usize) -> usize {
    let mut i = start + 1;
    while i < chars.len() {
        match chars[i] {
            '\\' => i += 2,
            '"' => return i + 1,
            _ => i += 1,
        }
    }
    chars.len()
}

/// The arguments of the call whose `(` is at `open`, split at top-level commas, and the index
/// just past its `)`.
fn call_arguments(code: &str, open: usize) -> (Vec<String>, usize) {
    let chars: Vec<char> = code[open..].chars().collect();
    let mut depth = 0;
    let mut args = Vec::new();
    let mut current = String::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '"' => {
                let end = string_end(&chars, i);
                current.extend(&chars[i..end]);
                i = end;
                continue;
            }
            '(' | '[' | '{' => {
                depth += 1;
                if depth > 1 {
                    current.push(c);
                }
            }
            ')' | ']' | '}' => {
                depth -= 1;
                if depth == 0 {
                    // A trailing comma leaves nothing after it.
                    if !current.trim().is_empty() {
                        args.push(current.trim().to_owned());
                    }
                    let consumed: usize = chars[..=i].iter().map(|c| c.len_utf8()).sum();
                    return (args, open + consumed);
                }
                current.push(c);
            }
            ',' if depth == 1 => args.push(std::mem::take(&mut current).trim().to_owned()),
            _ => current.push(c),
        }
        i += 1;
    }
    panic!("unbalanced call at byte {open}");
}

/// A path argument: a string literal, or a `const NAME: &str = "…"` of the same file.
fn path_argument(argument: &str, code: &str, file: &str) -> String {
    if let Some(literal) = argument.strip_prefix('"') {
        return literal.trim_end_matches('"').to_owned();
    }
    let marker = format!("const {argument}: &str = \"");
    let start = code.find(&marker).unwrap_or_else(|| {
        panic!("{file}: route path `{argument}` is neither a literal nor a const")
    }) + marker.len();
    let end = code[start..].find('"').expect("closing quote") + start;
    code[start..end].to_owned()
}

/// The HTTP methods of a method router (`get(a).post(b)`, `post(upload).layer(..)`).
fn methods_of(argument: &str, file: &str, path: &str) -> Vec<Method> {
    let mut methods = Vec::new();
    let bytes = argument.as_bytes();
    for (at, _) in argument.match_indices('(') {
        let word_start = argument[..at]
            .rfind(|c: char| !(c.is_alphanumeric() || c == '_'))
            .map_or(0, |p| p + 1);
        let word = &argument[word_start..at];
        let before = if word_start == 0 {
            None
        } else {
            Some(bytes[word_start - 1])
        };
        // `get(` at the start, after `.` (chained) or `::` (axum::routing::post).
        if matches!(before, None | Some(b'.') | Some(b':')) {
            if let Some(method) = Method::parse(word) {
                methods.push(method);
            } else if matches!(
                word,
                "put" | "patch" | "delete" | "head" | "options" | "any"
            ) {
                panic!("{file}: {path} uses `{word}`: add it to the matrix");
            }
        }
    }
    assert!(
        !methods.is_empty(),
        "{file}: no method read for {path}: {argument}"
    );
    methods
}

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    let mut entries: Vec<_> = fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
        .map(|e| e.expect("directory entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Every (method, path) the routers declare, with the prefix of the module's `nest`.
pub fn declared_routes() -> BTreeSet<(Method, String)> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut nests: BTreeMap<String, String> = BTreeMap::new();
    let mut routes: Vec<(String, Method, String)> = Vec::new();
    for file in &files {
        let name = file
            .strip_prefix(&src)
            .expect("below src")
            .to_string_lossy()
            .into_owned();
        let code = without_comments(&fs::read_to_string(file).expect("readable source"));
        for needle in [".route_service(", ".nest_service(", ".route_layer("] {
            assert!(
                !code.contains(needle),
                "{name} uses {needle}: teach the matrix to read it"
            );
        }
        for (at, _) in code.match_indices(".nest(") {
            let (args, _) = call_arguments(&code, at + ".nest".len());
            let prefix = path_argument(&args[0], &code, &name);
            let module = args[1]
                .strip_prefix("crate::")
                .and_then(|rest| rest.strip_suffix("::router()"))
                .unwrap_or_else(|| panic!("{name}: nest of `{}` not understood", args[1]));
            nests.insert(module.to_owned(), prefix);
        }
        for (at, _) in code.match_indices(".route(") {
            let (args, _) = call_arguments(&code, at + ".route".len());
            assert_eq!(args.len(), 2, "{name}: route call not understood: {args:?}");
            let path = path_argument(&args[0], &code, &name);
            for method in methods_of(&args[1], &name, &path) {
                routes.push((name.clone(), method, path.clone()));
            }
        }
    }
    routes
        .into_iter()
        .map(|(file, method, path)| {
            let top = file.split('/').next().unwrap_or_default();
            let prefix = nests.get(top).cloned().unwrap_or_default();
            (method, format!("{prefix}{path}"))
        })
        .collect()
}

// ---------------------------------------------------------------------------------------
// Who tries what

/// The kind of caller, from the demo account's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    Anonymous,
    /// ORES case officers: the coordinator (C-2).
    CaseOfficer,
    /// The case officer who is also the coordinator's administrator (its API keys, issue 21).
    CaseOfficerAdmin,
    OperatorStaff,
    OperatorAdmin,
    /// A commune's works department, its administrator (issue 21).
    CommuneAdmin,
    PlatformAdmin,
}

impl Who {
    fn of(role: &str, email: &str) -> Self {
        let administrator = connect_my_home::demo::DEMO_ADMINISTRATORS.contains(&email);
        match role {
            "case_officer" if administrator => Self::CaseOfficerAdmin,
            "case_officer" => Self::CaseOfficer,
            "operator_staff" => Self::OperatorStaff,
            "operator_admin" => Self::OperatorAdmin,
            "municipality" if administrator => Self::CommuneAdmin,
            "municipality" => panic!("every demo commune account is its administrator"),
            "platform_admin" => Self::PlatformAdmin,
            other => panic!("demo role {other} has no column in the matrix"),
        }
    }

    fn is_operator(self) -> bool {
        matches!(self, Self::OperatorStaff | Self::OperatorAdmin)
    }

    /// The coordinator's case officers, its administrator among them.
    fn is_officer(self) -> bool {
        matches!(self, Self::CaseOfficer | Self::CaseOfficerAdmin)
    }

    /// A commune's staff.
    fn is_commune(self) -> bool {
        self == Self::CommuneAdmin
    }

    /// An organisation's administrator: manages its API keys (issue 21).
    fn administers(self) -> bool {
        matches!(
            self,
            Self::OperatorAdmin | Self::CaseOfficerAdmin | Self::CommuneAdmin
        )
    }
}

/// How the ids of a try relate to the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rel {
    /// Their own tenant's (or, for an anonymous visitor, the applicant's own private link).
    Own,
    /// Another tenant's: any success is a leak.
    Other,
    /// No tenant's: a page or a shared resource.
    Open,
    /// A token, key or name that does not exist.
    Wrong,
}

/// Which ids fill the path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    None,
    Request,
    RequestDocument,
    /// An offer's PDF (`1.pdf`).
    RequestOfferPdf,
    /// An offer's document in the API (`1`).
    RequestOfferJson,
    Assessment,
    AssessmentDocument,
    Permit,
    Works,
    Crew,
    Holiday,
    Outbox,
    /// A webhook endpoint (issue 21): ORES electricity's and SWDE's.
    Webhook,
    Track,
    TrackDocument,
    TrackOffer,
    Welcome,
    Filed,
    Language,
    Image,
    /// A record the demo data does not have (a bank statement or its line): an unknown id.
    Unknown,
}

#[derive(Clone, Copy)]
struct Row {
    method: Method,
    path: &'static str,
    target: Target,
    expect: fn(Who, Rel) -> u16,
    /// A well-formed form (`{id}` is the try's id), sent with other tenants' ids where the
    /// handler checks its form before it looks the id up: the tenant check must be what
    /// refuses. The caller's own ids get the empty form: a refusal, not a change.
    body: &'static [(&'static str, &'static str)],
}

impl Row {
    const fn with(mut self, body: &'static [(&'static str, &'static str)]) -> Self {
        self.body = body;
        self
    }
}

const fn get(path: &'static str, target: Target, expect: fn(Who, Rel) -> u16) -> Row {
    Row {
        method: Method::Get,
        path,
        target,
        expect,
        body: &[],
    }
}

const fn post(path: &'static str, target: Target, expect: fn(Who, Rel) -> u16) -> Row {
    Row {
        method: Method::Post,
        path,
        target,
        expect,
        body: &[],
    }
}

/// Pages and assets for anyone.
fn open_page(_: Who, _: Rel) -> u16 {
    200
}

/// A private link: its holder (the applicant) gets `own`; a wrong token is 404 for everybody.
fn link_holder(rel: Rel, own: u16) -> u16 {
    if rel == Rel::Own { own } else { 404 }
}

/// A staff page: anonymous visitors are sent to sign in, other callers get `staff(who)`.
fn staff_page(who: Who, staff: impl Fn(Who) -> u16) -> u16 {
    if who == Who::Anonymous {
        303
    } else {
        staff(who)
    }
}

/// A read of a request file by id: its parties read it; for anybody else it does not exist.
fn party_reads(who: Who, rel: Rel) -> u16 {
    staff_page(who, |_| if rel == Rel::Own { 200 } else { 404 })
}

/// What only the request's coordinator does (C-2): `own` on its own requests; for another
/// coordinator's request, or any other caller, the request does not exist.
fn officer(who: Who, rel: Rel, own: u16) -> u16 {
    staff_page(who, |who| {
        if who.is_officer() && matches!(rel, Rel::Own | Rel::Open) {
            own
        } else {
            404
        }
    })
}

/// An operator's own page (its statements): `own` for any of its staff; 404 for anybody else.
fn operator_staff(who: Who, own: u16) -> u16 {
    staff_page(who, |who| if who.is_operator() { own } else { 404 })
}

/// What only the operator owning the assessment or crew does: `own` on its own.
fn operator(who: Who, rel: Rel, own: u16) -> u16 {
    staff_page(who, |who| {
        if who.is_operator() && rel == Rel::Own {
            own
        } else {
            404
        }
    })
}

/// The commune's portal (C-6): `own` for its own permits and works; 404 for anybody else.
fn commune(who: Who, rel: Rel, own: u16) -> u16 {
    staff_page(who, |who| {
        if who.is_commune() && matches!(rel, Rel::Own | Rel::Open) {
            own
        } else {
            404
        }
    })
}

/// An operator's administration (accounts, coverage, tariff books): one address for every
/// operator, so other staff are told 403 rather than 404.
fn operator_admin(who: Who, own: u16) -> u16 {
    staff_page(who, |who| if who == Who::OperatorAdmin { own } else { 403 })
}

/// An organisation's own administration (its API keys, issue 21): one address for every
/// organisation, so staff who are not its administrators are told 403 rather than 404.
fn organisation_admin(who: Who, own: u16) -> u16 {
    staff_page(who, |who| if who.administers() { own } else { 403 })
}

/// The platform's administration.
fn platform_admin(who: Who, own: u16) -> u16 {
    staff_page(who, |who| if who == Who::PlatformAdmin { own } else { 403 })
}

/// The JSON API: 401 without a session, else `staff(who)`.
fn api(who: Who, staff: impl Fn(Who) -> u16) -> u16 {
    if who == Who::Anonymous {
        401
    } else {
        staff(who)
    }
}

/// The matrix: one row per declared route. A refused form answers 422 with the page saying
/// why; a done action 303 back to its page.
const TABLE: &[Row] = &[
    // The public side (journey 1) and signing in.
    get("/", Target::None, open_page),
    get("/request/new", Target::None, open_page),
    post("/request", Target::None, |_, _| 422),
    get("/request/filed/{key}", Target::Filed, |_, rel| {
        if rel == Rel::Open { 200 } else { 404 }
    }),
    get("/track/{token}", Target::Track, |_, rel| {
        link_holder(rel, 200)
    }),
    post("/track/{token}/day", Target::Track, |_, rel| {
        link_holder(rel, 422)
    }),
    get("/lang/{code}", Target::Language, |_, _| 303),
    get("/about/data", Target::None, open_page),
    get("/estimate", Target::None, open_page),
    get("/login", Target::None, open_page),
    post("/login", Target::None, |_, _| 401),
    post("/logout", Target::None, |_, _| 303),
    get("/welcome/{token}", Target::Welcome, |_, _| 404),
    post("/welcome/{token}", Target::Welcome, |_, _| 404),
    // The orchestrator's probes.
    get("/healthz", Target::None, open_page),
    get("/readyz", Target::None, open_page),
    get("/static/app.css", Target::None, open_page),
    get("/static/commune-map.js", Target::None, open_page),
    get("/static/vendor/leaflet/leaflet.js", Target::None, open_page),
    get(
        "/static/vendor/leaflet/leaflet.css",
        Target::None,
        open_page,
    ),
    get("/static/vendor/leaflet/LICENSE", Target::None, open_page),
    get(
        "/static/vendor/leaflet/images/{name}",
        Target::Image,
        |_, rel| {
            if rel == Rel::Open { 200 } else { 404 }
        },
    ),
    // The applicant's private link: documents and the offer. A form without a file is not a
    // multipart upload: 400.
    post("/track/{token}/documents", Target::Track, |_, rel| {
        link_holder(rel, 400)
    }),
    get(
        "/track/{token}/documents/{document}",
        Target::TrackDocument,
        |_, rel| link_holder(rel, 200),
    ),
    get(
        "/track/{token}/offers/{version}",
        Target::TrackOffer,
        |_, rel| link_holder(rel, 200),
    ),
    post("/track/{token}/offer/accept", Target::Track, |_, rel| {
        link_holder(rel, 422)
    }),
    post("/track/{token}/offer/change", Target::Track, |_, rel| {
        link_holder(rel, 422)
    }),
    // Without the offer version it confirms, the confirmation page has nothing to show.
    get("/track/{token}/offer/confirm", Target::Track, |_, rel| {
        link_holder(rel, 404)
    }),
    post("/track/{token}/offer/confirm", Target::Track, |_, rel| {
        link_holder(rel, 422)
    }),
    // Asking for a lost link: the same answer for any address; an empty form names the field.
    get("/link/lost", Target::None, open_page),
    post("/link/lost", Target::None, |_, _| 422),
    // The back office: every staff member's queue holds the requests their organisation is a
    // party to.
    get("/backoffice", Target::None, |who, _| {
        staff_page(who, |_| 200)
    }),
    get("/backoffice/requests/{id}", Target::Request, party_reads),
    post(
        "/backoffice/requests/{id}/day",
        Target::Request,
        |who, rel| officer(who, rel, 422),
    ),
    // An empty form: the signed-in officer takes the request.
    post(
        "/backoffice/requests/{id}/assign",
        Target::Request,
        |who, rel| officer(who, rel, 303),
    ),
    post(
        "/backoffice/requests/{id}/day/cancel",
        Target::Request,
        |who, rel| officer(who, rel, 422),
    ),
    post(
        "/backoffice/requests/{id}/day/confirm",
        Target::Request,
        |who, rel| officer(who, rel, 422),
    ),
    post(
        "/backoffice/requests/{id}/offer",
        Target::Request,
        |who, rel| officer(who, rel, 422),
    ),
    post(
        "/backoffice/requests/{id}/offer/accept",
        Target::Request,
        |who, rel| officer(who, rel, 422),
    ),
    post(
        "/backoffice/requests/{id}/payments",
        Target::Request,
        |who, rel| officer(who, rel, 422),
    ),
    // V-3.1: an empty form records no dossier-fee payment.
    post(
        "/backoffice/requests/{id}/dossier-fee/payment",
        Target::Request,
        |who, rel| officer(who, rel, 422),
    ),
    // An empty form: the applicant pays (the default payer).
    post(
        "/backoffice/requests/{id}/payer",
        Target::Request,
        |who, rel| officer(who, rel, 303),
    ),
    get(
        "/backoffice/requests/{id}/offers/{version}",
        Target::RequestOfferPdf,
        |who, rel| officer(who, rel, 200),
    ),
    post(
        "/backoffice/requests/{id}/documents",
        Target::Request,
        |who, rel| officer(who, rel, 400),
    ),
    get(
        "/backoffice/requests/{id}/documents/{document}",
        Target::RequestDocument,
        |who, rel| officer(who, rel, 200),
    ),
    post(
        "/backoffice/requests/{id}/documents/{document}/kind",
        Target::RequestDocument,
        |who, rel| officer(who, rel, 422),
    )
    .with(&[("kind", "other"), ("reason", "Mauvais classement")]),
    post(
        "/backoffice/requests/{id}/documents/{document}/withdraw",
        Target::RequestDocument,
        |who, rel| officer(who, rel, 422),
    )
    .with(&[("reason", "Envoyé par erreur")]),
    // An empty form: the applicant is asked for what the checklist misses.
    post(
        "/backoffice/requests/{id}/missing",
        Target::Request,
        |who, rel| officer(who, rel, 303),
    ),
    post(
        "/backoffice/requests/{id}/complete",
        Target::Request,
        |who, rel| officer(who, rel, 422),
    ),
    post(
        "/backoffice/requests/{id}/permit/site",
        Target::Request,
        |who, rel| officer(who, rel, 422),
    ),
    post(
        "/backoffice/requests/{id}/permit/answer",
        Target::Request,
        |who, rel| officer(who, rel, 422),
    ),
    post(
        "/backoffice/requests/{id}/permit/acknowledge",
        Target::Request,
        |who, rel| officer(who, rel, 422),
    ),
    get("/backoffice/plan", Target::None, |who, rel| {
        officer(who, rel, 200)
    }),
    // Nothing chosen: the proposal again.
    post("/backoffice/plan", Target::None, |who, rel| {
        officer(who, rel, 200)
    }),
    // Issue 21: the coordinator's bank statements. A urlencoded post is not the upload form
    // (400); the demo has no statement, so a statement or line id is unknown to everybody
    // (the page test plays the tenants: tests/api/statements.rs).
    get("/backoffice/statements", Target::None, |who, rel| {
        officer(who, rel, 200)
    }),
    post("/backoffice/statements", Target::None, |who, rel| {
        officer(who, rel, 400)
    }),
    get(
        "/backoffice/statements/{id}",
        Target::Unknown,
        |who, rel| officer(who, rel, 404),
    ),
    post(
        "/backoffice/statements/lines/{id}/assign",
        Target::Unknown,
        |who, rel| officer(who, rel, 404),
    ),
    post(
        "/backoffice/statements/lines/{id}/set-aside",
        Target::Unknown,
        |who, rel| officer(who, rel, 404),
    ),
    // Each operator's statements of its own account: the same pages for its staff.
    get("/operator/statements", Target::None, |who, _| {
        operator_staff(who, 200)
    }),
    post("/operator/statements", Target::None, |who, _| {
        operator_staff(who, 400)
    }),
    get("/operator/statements/{id}", Target::Unknown, |who, _| {
        operator_staff(who, 404)
    }),
    post(
        "/operator/statements/lines/{id}/assign",
        Target::Unknown,
        |who, _| operator_staff(who, 404),
    ),
    post(
        "/operator/statements/lines/{id}/set-aside",
        Target::Unknown,
        |who, _| operator_staff(who, 404),
    ),
    get("/backoffice/nuisance", Target::None, |who, rel| {
        officer(who, rel, 200)
    }),
    get("/backoffice/nuisance.csv", Target::None, |who, rel| {
        officer(who, rel, 200)
    }),
    // The operators' side. Their queue and crews pages list the caller's own organisation's
    // work, empty for a staff member of any other kind.
    get("/operator", Target::None, |who, _| staff_page(who, |_| 200)),
    get("/operator/work", Target::None, |who, _| {
        staff_page(who, |_| 200)
    }),
    get(
        "/operator/assessments/{id}",
        Target::Assessment,
        |who, rel| operator(who, rel, 200),
    ),
    // The case officer corrects operators' lines of the requests it coordinates, so its own
    // tries are refused for the empty form (422) and others' are 404.
    post(
        "/operator/assessments/{id}",
        Target::Assessment,
        |who, rel| match (who, rel) {
            (who, Rel::Own) if who.is_officer() => 422,
            _ => operator(who, rel, 422),
        },
    )
    .with(&[
        ("version", "1"),
        ("action", "add_line"),
        ("label", "Fouille"),
        ("quantity", "1"),
        ("unit_price", "100"),
        ("text", "Vu sur place"),
    ]),
    post(
        "/operator/assessments/{id}/done",
        Target::Assessment,
        |who, rel| operator(who, rel, 422),
    ),
    get(
        "/operator/assessments/{id}/documents/{document}",
        Target::AssessmentDocument,
        |who, rel| operator(who, rel, 200),
    ),
    get("/operator/crews", Target::None, |who, _| {
        staff_page(who, |_| 200)
    }),
    // Empty: refused, by its fields or, for a caller whose organisation has no crews to
    // run, by that.
    post("/operator/crews/new", Target::None, |who, _| {
        staff_page(who, |_| 422)
    }),
    // The crew is named in the form, not the path.
    post("/operator/crews/absence", Target::Crew, |who, rel| {
        operator(who, rel, 422)
    })
    .with(&[("crew", "{id}"), ("day", "2027-03-01")]),
    post("/operator/crews/{id}/edit", Target::Crew, |who, rel| {
        operator(who, rel, 422)
    })
    .with(&[
        ("name", "Équipe Namur"),
        ("capacity", "2"),
        ("postcodes", "5000"),
    ]),
    // The demo crews have joint days to come: refused.
    post("/operator/crews/{id}/retire", Target::Crew, |who, rel| {
        operator(who, rel, 422)
    }),
    get("/operator/coverage", Target::None, |who, _| {
        operator_admin(who, 200)
    }),
    post("/operator/coverage", Target::None, |who, _| {
        operator_admin(who, 422)
    }),
    get("/admin/webhooks", Target::None, |who, _| {
        platform_admin(who, 200)
    }),
    get("/admin/api-keys", Target::None, |who, _| {
        platform_admin(who, 200)
    }),
    post("/admin/api-keys/revoke", Target::None, |who, _| {
        platform_admin(who, 422)
    }),
    // Issue 21: changing an administrator has only the organisation's address; the empty
    // form changes nobody (the choice is missing: 422).
    post(
        "/organisation/users/administrator",
        Target::None,
        |who, _| organisation_admin(who, 422),
    ),
    get("/operator/tariffs", Target::None, |who, _| {
        operator_admin(who, 200)
    }),
    post("/operator/tariffs", Target::None, |who, _| {
        operator_admin(who, 422)
    }),
    // The communes' portal (C-6).
    get("/commune", Target::None, |who, rel| commune(who, rel, 200)),
    get("/commune/calendar", Target::None, |who, rel| {
        commune(who, rel, 200)
    }),
    get("/commune/map", Target::None, |who, rel| {
        commune(who, rel, 200)
    }),
    get("/commune/figures", Target::None, |who, rel| {
        commune(who, rel, 200)
    }),
    get("/commune/figures.csv", Target::None, |who, rel| {
        commune(who, rel, 200)
    }),
    get("/commune/permits/{id}", Target::Permit, |who, rel| {
        commune(who, rel, 200)
    }),
    post(
        "/commune/permits/{id}/decision",
        Target::Permit,
        |who, rel| commune(who, rel, 422),
    ),
    get("/commune/works/{id}", Target::Works, |who, rel| {
        commune(who, rel, 200)
    }),
    // The platform's administration.
    get("/admin/outbox", Target::None, |who, _| {
        platform_admin(who, 200)
    }),
    get("/admin/outbox/{id}", Target::Outbox, |who, _| {
        platform_admin(who, 200)
    }),
    post("/admin/outbox/retry", Target::None, |who, _| {
        platform_admin(who, 303)
    }),
    post("/admin/outbox/{id}/retry", Target::Outbox, |who, _| {
        platform_admin(who, 303)
    }),
    get("/admin/construction-holidays", Target::None, |who, _| {
        platform_admin(who, 200)
    }),
    post("/admin/construction-holidays", Target::None, |who, _| {
        platform_admin(who, 422)
    }),
    get(
        "/admin/construction-holidays/{id}",
        Target::Holiday,
        |who, _| platform_admin(who, 200),
    ),
    post(
        "/admin/construction-holidays/{id}",
        Target::Holiday,
        |who, _| platform_admin(who, 422),
    ),
    post(
        "/admin/construction-holidays/{id}/remove",
        Target::Holiday,
        |who, _| platform_admin(who, 303),
    ),
    // The JSON API: staff sign in on the pages; the session cookie authenticates.
    get("/api/v1/requests", Target::None, |who, _| api(who, |_| 200)),
    get("/api/v1/requests/{id}", Target::Request, |who, rel| {
        api(who, |_| if rel == Rel::Own { 200 } else { 404 })
    }),
    // Issue 21: the coordinator's offer and payments, by its read-write key only: its
    // signed-in officers are refused (403) on its own requests; others' do not exist.
    post(
        "/api/v1/requests/{id}/offer",
        Target::Request,
        |who, rel| api(who, |_| officer(who, rel, 403)),
    ),
    post(
        "/api/v1/requests/{id}/payments",
        Target::Request,
        |who, rel| api(who, |_| officer(who, rel, 403)),
    ),
    get(
        "/api/v1/requests/{id}/offers/{version}",
        Target::RequestOfferJson,
        |who, rel| api(who, |_| officer(who, rel, 200)),
    ),
    get("/api/v1/permits", Target::None, |who, _| {
        api(who, |who| if who.is_commune() { 200 } else { 404 })
    }),
    get("/api/v1/figures", Target::None, |who, _| {
        api(who, |who| {
            if who.is_commune() || who.is_officer() {
                200
            } else {
                404
            }
        })
    }),
    post("/api/v1/estimates", Target::None, |_, _| 422),
    // Issue 21: an operator's parts; writes need a read-write API key (a session: 403).
    get("/api/v1/assessments", Target::None, |who, _| {
        api(who, |who| if who.is_operator() { 200 } else { 404 })
    }),
    get(
        "/api/v1/assessments/{id}",
        Target::Assessment,
        |who, rel| {
            api(who, |who| {
                if who.is_operator() && rel == Rel::Own {
                    200
                } else {
                    404
                }
            })
        },
    ),
    // Issue 21: a commune's permit, read by its staff; decided only by a read-write key, so
    // a signed-in session is refused (403) on its own permit; another's does not exist.
    get("/api/v1/permits/{id}", Target::Permit, |who, rel| {
        api(who, |_| commune(who, rel, 200))
    }),
    post(
        "/api/v1/permits/{id}/decision",
        Target::Permit,
        |who, rel| api(who, |_| commune(who, rel, 403)),
    ),
    // Issue 21: a bank statement's upload, by the coordinator's or an operator's read-write
    // key only: their signed-in staff are refused (403); nobody else has statements.
    post("/api/v1/statements", Target::None, |who, _| {
        api(who, |who| {
            if who.is_officer() || who.is_operator() {
                403
            } else {
                404
            }
        })
    }),
    // Issue 21: works done, by the operator's read-write key only: its signed-in staff are
    // refused (403) on its own part; another's does not exist.
    post(
        "/api/v1/assessments/{id}/works-done",
        Target::Assessment,
        |who, rel| {
            api(who, |who| {
                if who.is_operator() && rel == Rel::Own {
                    403
                } else {
                    404
                }
            })
        },
    ),
    // Issue 21: an operator's crews, read by its staff; absences declared in bulk by its
    // read-write key only (its signed-in staff are refused, 403); nobody else has crews.
    get("/api/v1/crews", Target::None, |who, _| {
        api(who, |who| if who.is_operator() { 200 } else { 404 })
    }),
    post("/api/v1/crews/absences", Target::None, |who, _| {
        api(who, |who| if who.is_operator() { 403 } else { 404 })
    }),
    // Crews added, changed and retired by the operator's read-write key only: its signed-in
    // staff are refused (403) on its own crews; another organisation's crew does not exist.
    post("/api/v1/crews", Target::None, |who, _| {
        api(who, |who| if who.is_operator() { 403 } else { 404 })
    }),
    post("/api/v1/crews/{id}", Target::Crew, |who, rel| {
        api(who, |who| {
            if who.is_operator() && rel == Rel::Own {
                403
            } else {
                404
            }
        })
    }),
    post("/api/v1/crews/{id}/retire", Target::Crew, |who, rel| {
        api(who, |who| {
            if who.is_operator() && rel == Rel::Own {
                403
            } else {
                404
            }
        })
    }),
    post(
        "/api/v1/assessments/{id}/answer",
        Target::Assessment,
        |who, rel| {
            api(who, |who| {
                if who.is_operator() && rel == Rel::Own {
                    403
                } else {
                    404
                }
            })
        },
    ),
    // Issue 21: ORES' servicing study and SWDE's survey, by the operator's read-write key
    // only: its signed-in staff are refused (403) on its own part; another's does not exist.
    post(
        "/api/v1/assessments/{id}/study",
        Target::Assessment,
        |who, rel| {
            api(who, |who| {
                if who.is_operator() && rel == Rel::Own {
                    403
                } else {
                    404
                }
            })
        },
    ),
    post(
        "/api/v1/assessments/{id}/survey",
        Target::Assessment,
        |who, rel| {
            api(who, |who| {
                if who.is_operator() && rel == Rel::Own {
                    403
                } else {
                    404
                }
            })
        },
    ),
    // Issue 21: the joint days an operator's crews are booked on (the coordinator: every crew
    // of its requests); a commune or the platform has none.
    get("/api/v1/reservations", Target::None, |who, _| {
        api(who, |who| {
            if who.is_operator() || who.is_officer() {
                200
            } else {
                404
            }
        })
    }),
    get("/api/v1/openapi.json", Target::None, open_page),
    // A new link replaces the holder's: last, so that every other row tried the link first.
    post("/track/{token}/link", Target::Track, |_, rel| {
        link_holder(rel, 200)
    }),
];

/// Issue 21: the organisation's pages for its administrators — API keys, webhook endpoints
/// with their delivery logs, users — each served at `/organisation/…` and, for the operators
/// who had them first, at the same path under `/operator/…`: one row per page, tried at both.
/// The empty forms create, register, replay and invite nothing; another organisation's
/// endpoint does not exist.
const ORGANISATION_PAGES: &[Row] = &[
    get("/api-keys", Target::None, |who, _| {
        organisation_admin(who, 200)
    }),
    post("/api-keys", Target::None, |who, _| {
        organisation_admin(who, 422)
    }),
    post("/api-keys/revoke", Target::None, |who, _| {
        organisation_admin(who, 422)
    }),
    get("/webhooks", Target::None, |who, _| {
        organisation_admin(who, 200)
    }),
    post("/webhooks", Target::None, |who, _| {
        organisation_admin(who, 422)
    }),
    get("/webhooks/{id}", Target::Webhook, |who, rel| {
        organisation_admin(who, if rel == Rel::Own { 200 } else { 404 })
    }),
    // The test event is queued for the caller's own endpoint.
    post("/webhooks/{id}/test", Target::Webhook, |who, rel| {
        organisation_admin(who, if rel == Rel::Own { 303 } else { 404 })
    }),
    post("/webhooks/{id}/replay", Target::Webhook, |who, rel| {
        organisation_admin(who, if rel == Rel::Own { 422 } else { 404 })
    }),
    post("/webhooks/{id}/active", Target::Webhook, |who, rel| {
        organisation_admin(who, if rel == Rel::Own { 422 } else { 404 })
    })
    .with(&[("active", "0")]),
    get("/users", Target::None, |who, _| {
        organisation_admin(who, 200)
    }),
    post("/users", Target::None, |who, _| {
        organisation_admin(who, 422)
    }),
];

/// Every row: the table's, and each organisation page at both its addresses.
fn table() -> Vec<Row> {
    let mut rows: Vec<Row> = TABLE.to_vec();
    for prefix in ["/organisation", "/operator"] {
        rows.extend(ORGANISATION_PAGES.iter().map(|row| Row {
            path: Box::leak(format!("{prefix}{}", row.path).into_boxed_str()),
            ..*row
        }));
    }
    rows
}

// ---------------------------------------------------------------------------------------
// The demo data's ids, and who owns what

/// What the test reads of the seeded data (reads only: every change went through a page).
#[derive(Default)]
struct Facts {
    /// Request id → its parties (organisation ids).
    parties: BTreeMap<String, BTreeSet<String>>,
    /// Requests newest first, so the live demo requests come before the history.
    requests: Vec<String>,
    /// (assessment id, request id, organisation id).
    assessments: Vec<(String, String, String)>,
    /// (document id, request id).
    documents: Vec<(String, String)>,
    /// (permit id, municipality id).
    permits: Vec<(String, Option<String>)>,
    /// Requests with a reserved joint day.
    reserved: BTreeSet<String>,
    /// (crew id, organisation id).
    crews: Vec<(String, String)>,
    /// Requests with an offer (version 1 at least).
    offered: BTreeSet<String>,
    holiday: String,
    outbox: String,
    /// (webhook endpoint id, organisation id).
    webhooks: Vec<(String, String)>,
}

async fn strings(app: &TestApp, sql: &'static str) -> Vec<String> {
    sqlx::query_scalar(sql)
        .fetch_all(&app.state.db.pool)
        .await
        .unwrap()
}

async fn pairs(app: &TestApp, sql: &'static str) -> Vec<(String, String)> {
    sqlx::query_as(sql)
        .fetch_all(&app.state.db.pool)
        .await
        .unwrap()
}

impl Facts {
    async fn read(app: &TestApp) -> Self {
        let mut facts = Facts::default();
        for (request, organisation) in pairs(
            app,
            "SELECT request_id, organisation_id FROM request_parties ORDER BY request_id, organisation_id",
        )
        .await
        {
            facts.parties.entry(request).or_default().insert(organisation);
        }
        facts.requests = strings(
            app,
            "SELECT id FROM requests ORDER BY submitted_at DESC, reference",
        )
        .await;
        facts.assessments = sqlx::query_as(
            "SELECT id, request_id, organisation_id FROM assessments ORDER BY created_at, id",
        )
        .fetch_all(&app.state.db.pool)
        .await
        .unwrap();
        facts.documents = pairs(
            app,
            "SELECT id, request_id FROM documents ORDER BY created_at, id",
        )
        .await;
        facts.permits = sqlx::query_as("SELECT id, municipality_id FROM permits ORDER BY id")
            .fetch_all(&app.state.db.pool)
            .await
            .unwrap();
        facts.reserved = strings(app, "SELECT DISTINCT request_id FROM reservations")
            .await
            .into_iter()
            .collect();
        facts.crews = pairs(
            app,
            "SELECT id, organisation_id FROM crews ORDER BY organisation_id, name",
        )
        .await;
        facts.offered = strings(app, "SELECT DISTINCT request_id FROM offers")
            .await
            .into_iter()
            .collect();
        facts.holiday = strings(
            app,
            "SELECT id FROM construction_holidays ORDER BY first_day",
        )
        .await
        .into_iter()
        .next()
        .expect("a construction holiday");
        facts.outbox = strings(app, "SELECT id FROM outbox ORDER BY created_at, id")
            .await
            .into_iter()
            .next()
            .expect("an outbox message");
        facts.webhooks = pairs(
            app,
            "SELECT id, organisation_id FROM webhook_endpoints ORDER BY created_at, id",
        )
        .await;
        facts
    }

    fn is_party(&self, request: &str, organisation: &str) -> bool {
        self.parties
            .get(request)
            .is_some_and(|p| p.contains(organisation))
    }

    /// The caller's request (one with `also` when possible), and one they are no party to.
    fn requests_of(&self, organisation: &str, also: impl Fn(&str) -> bool) -> Split {
        let own: Vec<&String> = self
            .requests
            .iter()
            .filter(|r| self.is_party(r, organisation))
            .collect();
        let other: Vec<&String> = self
            .requests
            .iter()
            .filter(|r| !self.is_party(r, organisation))
            .collect();
        Split {
            own: own
                .iter()
                .find(|r| also(r))
                .or(own.first())
                .map(|r| (*r).clone()),
            other: other
                .iter()
                .find(|r| also(r))
                .or(other.first())
                .map(|r| (*r).clone()),
        }
    }

    fn document_of(&self, request: &str) -> Option<String> {
        self.documents
            .iter()
            .find(|(_, r)| r == request)
            .map(|(d, _)| d.clone())
    }
}

/// An id of the caller's tenant and one of another tenant, when there are such.
struct Split {
    own: Option<String>,
    other: Option<String>,
}

/// One caller: a demo account signed in once, or the anonymous visitor.
struct Actor {
    label: String,
    who: Who,
    organisation: Option<String>,
    client: reqwest::Client,
    csrf: String,
}

/// The applicant's side: their private link (its token) and their request.
struct Applicant {
    token: String,
    request: String,
}

/// One try: its relation to the caller and the path's values.
struct Try {
    rel: Rel,
    values: Vec<(&'static str, String)>,
}

fn tries(
    facts: &Facts,
    applicant: &Applicant,
    filed_key: &str,
    readable: &BTreeMap<String, (String, String)>,
    actor: &Actor,
    target: Target,
) -> Vec<Try> {
    let one = |rel, values: Vec<(&'static str, String)>| Try { rel, values };
    let organisation = actor.organisation.clone().unwrap_or_default();
    let wrong_token = "x".repeat(applicant.token.len());
    let mut out = Vec::new();
    match target {
        Target::None => out.push(one(Rel::Open, vec![])),
        Target::Unknown => out.push(one(
            Rel::Open,
            vec![("id", "0193a0c4-0000-7000-8000-000000000000".to_owned())],
        )),
        Target::Request => {
            let split = facts.requests_of(&organisation, |_| true);
            if let Some(own) = split.own {
                out.push(one(Rel::Own, vec![("id", own)]));
            }
            if let Some(other) = split.other {
                out.push(one(Rel::Other, vec![("id", other)]));
            }
        }
        Target::RequestDocument => {
            let split = facts.requests_of(&organisation, |r| facts.document_of(r).is_some());
            let own_doc = split.own.as_deref().and_then(|r| facts.document_of(r));
            let other_doc = split.other.as_deref().and_then(|r| facts.document_of(r));
            if let (Some(own), Some(doc)) = (&split.own, &own_doc) {
                out.push(one(
                    Rel::Own,
                    vec![("id", own.clone()), ("document", doc.clone())],
                ));
            }
            if let (Some(other), Some(doc)) = (&split.other, &other_doc) {
                out.push(one(
                    Rel::Other,
                    vec![("id", other.clone()), ("document", doc.clone())],
                ));
            }
            // The caller's own request with another request's document.
            if let (Some(own), Some(doc)) = (&split.own, &other_doc) {
                out.push(one(
                    Rel::Other,
                    vec![("id", own.clone()), ("document", doc.clone())],
                ));
            }
        }
        Target::RequestOfferPdf | Target::RequestOfferJson => {
            let version = if target == Target::RequestOfferPdf {
                "1.pdf"
            } else {
                "1"
            };
            let split = facts.requests_of(&organisation, |r| facts.offered.contains(r));
            if let Some(own) = split.own {
                out.push(one(
                    Rel::Own,
                    vec![("id", own), ("version", version.into())],
                ));
            }
            if let Some(other) = split.other {
                out.push(one(
                    Rel::Other,
                    vec![("id", other), ("version", version.into())],
                ));
            }
        }
        Target::Assessment => {
            // An operator's own assessments, and another operator's on the same request; the
            // coordinator's are those of the requests it coordinates.
            let mine = |(_, request, owner): &&(String, String, String)| {
                if actor.who.is_officer() {
                    facts.is_party(request, &organisation)
                } else {
                    *owner == organisation
                }
            };
            let own = facts.assessments.iter().find(mine);
            let others: Vec<_> = facts.assessments.iter().filter(|a| !mine(a)).collect();
            let other = others
                .iter()
                .find(|(_, request, _)| own.is_some_and(|(_, r, _)| r == request))
                .or(others.first());
            if let Some((id, _, _)) = own {
                out.push(one(Rel::Own, vec![("id", id.clone())]));
            }
            if let Some((id, _, _)) = other {
                out.push(one(Rel::Other, vec![("id", id.clone())]));
            }
        }
        Target::AssessmentDocument => {
            // A document the operator's documents page links to, then another operator's
            // assessment with a document of its request, and the operator's own assessment
            // with a document of a request it is no party to.
            if let Some((assessment, document)) = readable.get(&actor.label) {
                out.push(one(
                    Rel::Own,
                    vec![("id", assessment.clone()), ("document", document.clone())],
                ));
            }
            let others = facts
                .assessments
                .iter()
                .filter(|(_, _, owner)| *owner != organisation);
            if let Some((id, _, document)) = others
                .filter_map(|(id, request, _)| {
                    facts
                        .document_of(request)
                        .map(|document| (id, request, document))
                })
                .next()
            {
                out.push(one(
                    Rel::Other,
                    vec![("id", id.clone()), ("document", document)],
                ));
            }
            let own = facts
                .assessments
                .iter()
                .find(|(_, _, owner)| *owner == organisation);
            let foreign = facts
                .documents
                .iter()
                .find(|(_, request)| !facts.is_party(request, &organisation));
            if let (Some((id, _, _)), Some((document, _))) = (own, foreign) {
                out.push(one(
                    Rel::Other,
                    vec![("id", id.clone()), ("document", document.clone())],
                ));
            }
        }
        Target::Permit => {
            let own = facts
                .permits
                .iter()
                .find(|(_, m)| m.as_deref() == Some(organisation.as_str()));
            let other = facts
                .permits
                .iter()
                .find(|(_, m)| m.is_some() && m.as_deref() != Some(organisation.as_str()));
            if let Some((id, _)) = own {
                out.push(one(Rel::Own, vec![("id", id.clone())]));
            }
            if let Some((id, _)) = other {
                out.push(one(Rel::Other, vec![("id", id.clone())]));
            }
        }
        Target::Works => {
            let split = facts.requests_of(&organisation, |r| facts.reserved.contains(r));
            let reserved = |r: &Option<String>| r.clone().filter(|r| facts.reserved.contains(r));
            if let Some(own) = reserved(&split.own) {
                out.push(one(Rel::Own, vec![("id", own)]));
            }
            if let Some(other) = reserved(&split.other) {
                out.push(one(Rel::Other, vec![("id", other)]));
            }
        }
        Target::Crew => {
            if let Some((id, _)) = facts.crews.iter().find(|(_, o)| *o == organisation) {
                out.push(one(Rel::Own, vec![("id", id.clone())]));
            }
            if let Some((id, _)) = facts.crews.iter().find(|(_, o)| *o != organisation) {
                out.push(one(Rel::Other, vec![("id", id.clone())]));
            }
        }
        Target::Holiday => out.push(one(Rel::Open, vec![("id", facts.holiday.clone())])),
        Target::Outbox => out.push(one(Rel::Open, vec![("id", facts.outbox.clone())])),
        Target::Webhook => {
            if let Some((id, _)) = facts.webhooks.iter().find(|(_, o)| *o == organisation) {
                out.push(one(Rel::Own, vec![("id", id.clone())]));
            }
            if let Some((id, _)) = facts.webhooks.iter().find(|(_, o)| *o != organisation) {
                out.push(one(Rel::Other, vec![("id", id.clone())]));
            }
        }
        Target::Track | Target::TrackDocument | Target::TrackOffer => {
            let extra = |token: String| -> Vec<(&'static str, String)> {
                let mut values = vec![("token", token)];
                match target {
                    Target::TrackDocument => values.push((
                        "document",
                        facts
                            .document_of(&applicant.request)
                            .expect("a document on the applicant's request"),
                    )),
                    Target::TrackOffer => values.push(("version", "1.pdf".into())),
                    _ => {}
                }
                values
            };
            // The private link is the applicant's: tried as its holder, who is anonymous.
            if actor.who == Who::Anonymous {
                out.push(one(Rel::Own, extra(applicant.token.clone())));
                if target == Target::TrackDocument
                    && let Some((doc, _)) = facts
                        .documents
                        .iter()
                        .find(|(_, r)| *r != applicant.request)
                {
                    out.push(one(
                        Rel::Other,
                        vec![
                            ("token", applicant.token.clone()),
                            ("document", doc.clone()),
                        ],
                    ));
                }
            }
            out.push(one(Rel::Wrong, extra(wrong_token)));
        }
        Target::Welcome => out.push(one(Rel::Wrong, vec![("token", wrong_token)])),
        Target::Filed => {
            out.push(one(Rel::Open, vec![("key", filed_key.to_owned())]));
            out.push(one(
                Rel::Wrong,
                vec![("key", uuid::Uuid::new_v4().to_string())],
            ));
        }
        Target::Language => out.push(one(Rel::Open, vec![("code", "fr".into())])),
        Target::Image => {
            out.push(one(Rel::Open, vec![("name", "marker-icon.png".into())]));
            out.push(one(Rel::Wrong, vec![("name", "../../Cargo.toml".into())]));
        }
    }
    out
}

fn fill(template: &str, values: &[(&'static str, String)]) -> String {
    let mut out = template.to_owned();
    for (name, value) in values {
        out = out.replace(&format!("{{{name}}}"), value);
    }
    assert!(
        !out.contains('{'),
        "{template}: a parameter left unfilled in {out}"
    );
    out
}

// ---------------------------------------------------------------------------------------
// The run

/// The row counts and the changeable columns of the tenants' data: equal before and after the
/// cross-tenant POSTs, or one of them changed something.
async fn snapshot(app: &TestApp) -> Vec<String> {
    let mut out = Vec::new();
    for table in [
        "organisations",
        "users",
        "coverage",
        "requests",
        "request_services",
        "request_parties",
        "request_events",
        "assessments",
        "assessment_versions",
        "tariff_books",
        "crews",
        "crew_communes",
        "crew_absences",
        "crew_days",
        "reservations",
        "invitations",
        "follow_links",
        "documents",
        "offers",
        "offer_dues",
        "due_payments",
        "permit_sites",
        "permits",
        "permit_works",
        "permit_actions",
        "construction_holidays",
        "webhook_endpoints",
        "webhook_deliveries",
    ] {
        let count: i64 =
            sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {table}")))
                .fetch_one(&app.state.db.pool)
                .await
                .unwrap();
        out.push(format!("{table}: {count} rows"));
    }
    for (table, columns) in [
        (
            "requests",
            "id, state, assigned_to, change_requested_at, pays_after_works",
        ),
        ("assessments", "id, status, version, feasibility"),
        ("crews", "id, name, daily_capacity, civil_works, retired_at"),
        ("reservations", "request_id, service, day, done_at"),
        ("documents", "id, kind"),
        ("offers", "id, status, accepted_at, closed_at"),
        (
            "permits",
            "id, status, decision_text, conditions_acknowledged_at",
        ),
        ("construction_holidays", "id, name, first_day, last_day"),
        ("webhook_endpoints", "id, active"),
        ("webhook_deliveries", "id, status, next_attempt_at"),
    ] {
        let expression = columns
            .split(", ")
            .map(|c| format!("COALESCE(CAST({c} AS TEXT), '-')"))
            .collect::<Vec<_>>()
            .join(" || '|' || ");
        let rows: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT {expression} FROM {table} ORDER BY 1"
        )))
        .fetch_all(&app.state.db.pool)
        .await
        .unwrap();
        out.extend(rows.into_iter().map(|row| format!("{table}: {row}")));
    }
    out
}

const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01";

/// Uploads a plan on the status page at `link`, as the applicant's browser does.
async fn upload_plan(link: &str) {
    let client = crate::helpers::client();
    let page = text_of(&client, link).await;
    let form = Form::new()
        .text("csrf_token", hidden(&page, "csrf_token"))
        .text("kind", "situation_plan")
        .part(
            "file",
            Part::bytes(PNG.to_vec())
                .file_name("plan.png")
                .mime_str("application/octet-stream")
                .unwrap(),
        );
    let response = client
        .post(format!("{link}/documents"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 303, "upload on {link}");
}

/// Sends the first offer of a request from the officer's request page.
async fn send_offer(app: &TestApp, officer: &reqwest::Client, request: &str) {
    let page = text_of(officer, app.url(&format!("/backoffice/requests/{request}"))).await;
    let response = officer
        .post(app.url(&format!("/backoffice/requests/{request}/offer")))
        .form(&[
            ("csrf_token", hidden(&page, "csrf_token")),
            ("key", hidden(&page, "key")),
            ("reason", String::new()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 303, "offer on {request}");
}

async fn send(
    actor: &Actor,
    app: &TestApp,
    method: Method,
    path: &str,
    body: Vec<(&'static str, String)>,
) -> Answer {
    let url = app.url(path);
    let request = match method {
        Method::Get => actor.client.get(url),
        Method::Post => {
            let mut form = vec![("csrf_token", actor.csrf.clone())];
            form.extend(body);
            actor.client.post(url).form(&form)
        }
    };
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let missing = SECURITY_HEADERS
        .iter()
        .filter(|(name, value)| header(name) != *value)
        .map(|(name, _)| *name)
        .collect();
    Answer {
        status,
        location: header("location"),
        missing,
    }
}

/// What every answer carries, whoever asks (src/http/headers.rs): no framing, no content
/// sniffing, no referrer leaking a private link.
const SECURITY_HEADERS: &[(&str, &str)] = &[
    ("x-content-type-options", "nosniff"),
    ("x-frame-options", "DENY"),
    ("referrer-policy", "no-referrer"),
];

struct Answer {
    status: u16,
    location: String,
    /// The security headers missing or different.
    missing: Vec<&'static str>,
}

/// Reads first, then the POSTs with others' ids or wrong tokens (which must change nothing),
/// then the POSTs on the caller's own data or on no tenant's, and signing out last.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Reads,
    CrossTenantWrites,
    OwnWrites,
    SigningOut,
}

impl Phase {
    const ALL: [Phase; 4] = [
        Phase::Reads,
        Phase::CrossTenantWrites,
        Phase::OwnWrites,
        Phase::SigningOut,
    ];

    fn holds(self, row: &Row, rel: Rel) -> bool {
        let signing_out = row.path == "/logout";
        match self {
            Phase::Reads => row.method == Method::Get,
            Phase::CrossTenantWrites => {
                row.method == Method::Post && matches!(rel, Rel::Other | Rel::Wrong)
            }
            Phase::OwnWrites => {
                row.method == Method::Post && matches!(rel, Rel::Own | Rel::Open) && !signing_out
            }
            Phase::SigningOut => signing_out,
        }
    }
}

#[derive(Default)]
struct Tally {
    tries: usize,
    cross_tenant: usize,
    cells: BTreeSet<(usize, String)>,
    failures: Vec<String>,
    leaks: Vec<String>,
    server_errors: Vec<String>,
}

#[tokio::test]
async fn every_route_answers_every_role_as_expected_and_never_leaks_across_tenants() {
    // Every declared route has its row, and every row a declared route.
    let declared = declared_routes();
    let table = table();
    let rows: BTreeSet<(Method, String)> = table
        .iter()
        .map(|row| (row.method, row.path.to_owned()))
        .collect();
    assert_eq!(rows.len(), table.len(), "a route has two rows");
    let missing: Vec<_> = declared.difference(&rows).collect();
    let stale: Vec<_> = rows.difference(&declared).collect();
    assert!(
        missing.is_empty() && stale.is_empty(),
        "routes without a row in the matrix: {missing:?}; rows of no route: {stale:?}"
    );

    let app = spawn_app_with_demo().await;
    // Wait for every operator's answer to the demo requests (bounded).
    for _ in 0..150 {
        if app
            .count("SELECT COUNT(*) FROM requests WHERE state = 'submitted'")
            .await
            == 0
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(
        app.count("SELECT COUNT(*) FROM requests WHERE state = 'submitted'")
            .await,
        0,
        "the demo requests were assessed"
    );

    // Marie's demo request (Namur): her private link, a plan she uploads, an offer sent.
    let marie_id: String =
        sqlx::query_scalar("SELECT id FROM requests WHERE applicant_name = 'Marie Dupont'")
            .fetch_one(&app.state.db.pool)
            .await
            .unwrap();
    let link = app.private_link(&marie_id).await;
    upload_plan(&link).await;
    let julien = app.signed_in("julien@ores.demo").await;
    send_offer(&app, &julien, &marie_id).await;
    // Another family's request in Mons, without gas, with its own plan: a document the commune
    // of Namur and ORES gas may not read.
    let (mons, filed_url) = app
        .file_ok(&with(&marie(), &[("postcode", "7000"), ("gas", "")]))
        .await;
    let mons_id = app.request_id(&mons).await;
    app.wait_state(&mons_id, "assessed").await;
    upload_plan(&app.private_link(&mons_id).await).await;
    // A request another coordinator (RESA, C-7) coordinates, with a plan and an offer: nothing
    // of it is ORES's.
    let resa = other_coordinator(&app).await;
    let (_, liege_id) = app
        .file_assessed(&with(&marie(), &[("postcode", "4000")]))
        .await;
    upload_plan(&app.private_link(&liege_id).await).await;
    send_offer(&app, &resa, &liege_id).await;
    app.wait_outbox_idle().await;
    let filed_key = filed_url.rsplit('/').next().unwrap().to_owned();
    let applicant = Applicant {
        token: link.rsplit('/').next().unwrap().to_owned(),
        request: marie_id.clone(),
    };

    // Webhook endpoints of ORES electricity and of SWDE (issue 21).
    for (slug, email) in [
        ("ores-electricity", "tarifs@ores.demo"),
        ("swde", "eau@swde.demo"),
    ] {
        let organisation = connect_my_home::db::organisations::by_slug(&app.state.db, slug)
            .await
            .unwrap();
        let user_id: String = sqlx::query_scalar("SELECT id FROM users WHERE email = $1")
            .bind(email)
            .fetch_one(&app.state.db.pool)
            .await
            .unwrap();
        let admin = connect_my_home::domain::tenancy::SessionUser {
            user_id: user_id.parse().unwrap(),
            email: email.into(),
            display_name: email.into(),
            role: connect_my_home::domain::tenancy::Role::OperatorAdmin,
            language: "fr".into(),
            organisation_id: organisation.id,
            organisation_name: organisation.name.clone(),
            organisation_kind: connect_my_home::domain::tenancy::OrganisationKind::Operator,
            administrator: true,
            api_key: None,
        };
        connect_my_home::services::webhooks::create(
            &app.state,
            &admin,
            &connect_my_home::services::webhooks::EndpointInput {
                url: format!("https://{slug}.example/hooks"),
                events: vec!["request.filed".into()],
                active: "on".into(),
            },
            app.now(),
        )
        .await
        .unwrap_or_else(|_| panic!("the endpoint of {slug}"));
    }

    let facts = Facts::read(&app).await;
    let organisations: BTreeMap<String, String> = pairs(&app, "SELECT slug, id FROM organisations")
        .await
        .into_iter()
        .collect();

    // Every caller signs in once.
    let mut actors = Vec::new();
    {
        let client = crate::helpers::client();
        let page = text_of(&client, app.url("/login")).await;
        actors.push(Actor {
            label: "anonymous".into(),
            who: Who::Anonymous,
            organisation: None,
            csrf: hidden(&page, "csrf_token"),
            client,
        });
    }
    for (slug, email, _, role) in DEMO_USERS {
        let client = app.signed_in(email).await;
        let page = text_of(&client, app.url("/")).await;
        actors.push(Actor {
            label: email.to_owned(),
            who: Who::of(role.code(), email),
            organisation: Some(organisations[slug].clone()),
            csrf: hidden(&page, "csrf_token"),
            client,
        });
    }

    // Each operator's documents page of its assessment of Marie's request links to the
    // documents that concern it (its prerequisites): one of those is its own to read.
    let mut readable = BTreeMap::new();
    for actor in actors.iter().filter(|a| a.who.is_operator()) {
        let organisation = actor.organisation.as_deref().unwrap_or_default();
        let Some((assessment, _, _)) = facts
            .assessments
            .iter()
            .find(|(_, request, owner)| *request == marie_id && owner == organisation)
        else {
            continue;
        };
        let page = text_of(
            &actor.client,
            app.url(&format!("/operator/assessments/{assessment}")),
        )
        .await;
        let marker = format!("/operator/assessments/{assessment}/documents/");
        if let Some(at) = page.find(&marker) {
            let rest = &page[at + marker.len()..];
            let end = rest.find('"').expect("link end");
            readable.insert(
                actor.label.clone(),
                (assessment.clone(), rest[..end].to_owned()),
            );
        }
    }

    let mut tally = Tally::default();
    let mut before_writes = Vec::new();
    for phase in Phase::ALL {
        if phase == Phase::CrossTenantWrites {
            before_writes = snapshot(&app).await;
        }
        if phase == Phase::OwnWrites {
            let after = snapshot(&app).await;
            let changed: Vec<_> = after
                .iter()
                .filter(|line| !before_writes.contains(line))
                .chain(before_writes.iter().filter(|line| !after.contains(line)))
                .collect();
            assert!(
                changed.is_empty(),
                "POSTs with other tenants' ids or wrong tokens changed data: {changed:?}"
            );
        }
        for (index, row) in table.iter().enumerate() {
            for actor in &actors {
                for attempt in tries(&facts, &applicant, &filed_key, &readable, actor, row.target) {
                    if !phase.holds(row, attempt.rel) {
                        continue;
                    }
                    let path = fill(row.path, &attempt.values);
                    let body = match attempt.rel {
                        Rel::Other | Rel::Wrong => row
                            .body
                            .iter()
                            .map(|(name, value)| (*name, fill(value, &attempt.values)))
                            .collect(),
                        Rel::Own | Rel::Open => Vec::new(),
                    };
                    let Answer {
                        status,
                        location,
                        missing,
                    } = send(actor, &app, row.method, &path, body).await;
                    let expected = (row.expect)(actor.who, attempt.rel);
                    let line = format!(
                        "{:?} {path} as {} ({:?}): {status}{} (expected {expected})",
                        row.method,
                        actor.label,
                        attempt.rel,
                        if location.is_empty() {
                            String::new()
                        } else {
                            format!(" → {location}")
                        },
                    );
                    tally.tries += 1;
                    tally.cells.insert((index, actor.label.clone()));
                    if attempt.rel == Rel::Other {
                        tally.cross_tenant += 1;
                        let success = (200..300).contains(&status)
                            || (row.method == Method::Post
                                && (300..400).contains(&status)
                                && !location.starts_with("/login"));
                        if success {
                            tally.leaks.push(line.clone());
                        }
                    }
                    if status >= 500 {
                        tally.server_errors.push(line.clone());
                    }
                    if !missing.is_empty() {
                        tally.failures.push(format!("{line}: without {missing:?}"));
                    }
                    if status != expected {
                        tally.failures.push(line);
                    }
                }
            }
        }
    }

    let engine = if std::env::var("CMH_TEST_DATABASE_URL").is_ok_and(|u| u.starts_with("postgres"))
    {
        "PostgreSQL"
    } else {
        "SQLite"
    };
    println!(
        "security matrix ({engine}): {} routes × {} roles = {} cells tried, {} requests, {} cross-tenant, {} leaks, {} 5xx, {} unexpected",
        table.len(),
        actors.len(),
        tally.cells.len(),
        tally.tries,
        tally.cross_tenant,
        tally.leaks.len(),
        tally.server_errors.len(),
        tally.failures.len(),
    );
    assert!(
        tally.leaks.is_empty(),
        "cross-tenant successes:\n{}",
        tally.leaks.join("\n")
    );
    assert!(
        tally.server_errors.is_empty(),
        "server errors:\n{}",
        tally.server_errors.join("\n")
    );
    assert!(
        tally.failures.is_empty(),
        "unexpected statuses:\n{}",
        tally.failures.join("\n")
    );
}
