//! Signed webhooks (issue 21): which timeline events an organisation's systems are told of,
//! who is told, the signature of a delivery and which addresses may receive one. Pure: no I/O.

use super::tenancy::OrganisationKind;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The events an endpoint may subscribe to, in the order the pages list them.
pub const EVENT_TYPES: [&str; 13] = [
    "request.filed",
    "assessment.due",
    "assessment.late",
    "documents.received",
    "offer.sent",
    "offer.accepted",
    "payment.received",
    "day.reserved",
    "day.confirmed",
    "day.cancelled",
    "permit.requested",
    "permit.decided",
    "works.done",
];

/// The test event the "send test event" button sends; no subscription needed.
pub const PING: &str = "ping";

/// What every signing secret starts with, so a leaked one is recognised.
pub const SECRET_PREFIX: &str = "whsec_";

/// Which of a request's parties are told of an event: each organisation sees only its own
/// requests, and the payload holds ids and addresses only, never another party's data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// The coordinator and the operators whose services the request asks.
    Parties,
    /// The coordinator and the one operator the event is about (its answer falls due soon or
    /// is overdue).
    Concerned,
    /// Every party: also the commune deciding the joint road-works permit (C-6), whose
    /// decision the operators wait for before their works.
    AllParties,
}

/// The webhook event a timeline event (its `kind`) makes, if any, and who is told.
pub fn for_timeline(kind: &str) -> Option<(&'static str, Audience)> {
    let parties = |event| Some((event, Audience::Parties));
    match kind {
        "submitted" => parties("request.filed"),
        "assessment_due" => Some(("assessment.due", Audience::Concerned)),
        "assessment_late" => Some(("assessment.late", Audience::Concerned)),
        "document_received" => parties("documents.received"),
        "offer_sent" => parties("offer.sent"),
        "offer_accepted" => parties("offer.accepted"),
        "payment_registered" => parties("payment.received"),
        "day_reserved" => parties("day.reserved"),
        "day_confirmed" => parties("day.confirmed"),
        "day_cancelled" => parties("day.cancelled"),
        "works_done" => parties("works.done"),
        "permit.requested" | "permit.resubmitted" => {
            Some(("permit.requested", Audience::AllParties))
        }
        "permit.approved"
        | "permit.approved_with_conditions"
        | "permit.information_requested"
        | "permit.refused" => Some(("permit.decided", Audience::AllParties)),
        _ => None,
    }
}

/// The JSON body of an event: its id (the same for every endpoint told and every attempt),
/// type, time and the request it concerns, by id, reference and API address. Nothing of any
/// organisation's own data: the receiver reads its part through the API with its key.
pub fn payload(
    event_id: uuid::Uuid,
    event_type: &str,
    occurred_at: chrono::DateTime<chrono::Utc>,
    request: Option<(super::RequestId, &str)>,
) -> String {
    let data = match request {
        Some((id, reference)) => serde_json::json!({
            "request_id": id,
            "reference": reference,
            "href": format!("/api/v1/requests/{id}"),
        }),
        None => serde_json::json!({}),
    };
    serde_json::json!({
        "id": event_id,
        "type": event_type,
        "occurred_at": occurred_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "data": data,
    })
    .to_string()
}

/// `v1` of the `Cmh-Signature` header: the hex HMAC-SHA256, with the endpoint's secret, of
/// `<t>.<body>` where `t` is the Unix time of the attempt.
pub fn signature(secret: &str, t: i64, body: &str) -> String {
    // HMAC takes a key of any length.
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(t.to_string().as_bytes());
    mac.update(b".");
    mac.update(body.as_bytes());
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The whole `Cmh-Signature` header value: `t=<unix>,v1=<hex>`.
pub fn signature_header(secret: &str, t: i64, body: &str) -> String {
    format!("t={t},v1={}", signature(secret, t, body))
}

/// Why an endpoint's address is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UrlRefusal {
    /// Not an absolute `https://` or `http://` address with a host.
    Invalid,
    /// Plain `http` to another machine: deliveries and their signatures would travel in clear.
    NotHttps,
    /// Plain `http` to this machine, which this installation does not allow.
    LocalHttpOff,
    /// A user name or password in the address.
    Credentials,
}

impl UrlRefusal {
    pub fn code(self) -> &'static str {
        match self {
            UrlRefusal::Invalid => "invalid",
            UrlRefusal::NotHttps => "not_https",
            UrlRefusal::LocalHttpOff => "local_http_off",
            UrlRefusal::Credentials => "credentials",
        }
    }
}

/// Longest address of an endpoint.
pub const URL_MAX: usize = 500;

/// Checks an endpoint's address: `https` anywhere; `http` only to this machine (`localhost`,
/// `127.0.0.1`, `[::1]`) and only when `allow_local_http` (development, tests).
pub fn check_url(text: &str, allow_local_http: bool) -> Result<String, UrlRefusal> {
    let text = text.trim();
    if text.is_empty() || text.len() > URL_MAX {
        return Err(UrlRefusal::Invalid);
    }
    let url = url::Url::parse(text).map_err(|_| UrlRefusal::Invalid)?;
    let Some(host) = url.host_str() else {
        return Err(UrlRefusal::Invalid);
    };
    if !url.username().is_empty() || url.password().is_some() {
        return Err(UrlRefusal::Credentials);
    }
    match url.scheme() {
        "https" => Ok(url.to_string()),
        "http" => {
            let local = matches!(host, "localhost" | "127.0.0.1" | "[::1]");
            if !local {
                Err(UrlRefusal::NotHttps)
            } else if !allow_local_http {
                Err(UrlRefusal::LocalHttpOff)
            } else {
                Ok(url.to_string())
            }
        }
        _ => Err(UrlRefusal::Invalid),
    }
}

/// The events an organisation of `kind` can be told of: a commune, of the permits of the
/// requests on its territory (C-6); the coordinator and the operators, of every event.
pub fn events_for(kind: OrganisationKind) -> Vec<&'static str> {
    EVENT_TYPES
        .into_iter()
        .filter(|event| kind != OrganisationKind::Municipality || event.starts_with("permit."))
        .collect()
}

/// The events chosen in a form, in the list's order; unknown names are dropped.
pub fn chosen_events<'a>(chosen: impl IntoIterator<Item = &'a str>) -> Vec<&'static str> {
    let chosen: Vec<&str> = chosen.into_iter().map(str::trim).collect();
    EVENT_TYPES
        .into_iter()
        .filter(|event| chosen.contains(event))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_commune_is_told_of_its_permits_and_the_others_of_every_event() {
        assert_eq!(
            events_for(OrganisationKind::Municipality),
            ["permit.requested", "permit.decided"]
        );
        assert_eq!(events_for(OrganisationKind::Operator), EVENT_TYPES);
        assert_eq!(events_for(OrganisationKind::Coordinator), EVENT_TYPES);
    }

    #[test]
    fn the_signature_is_the_hmac_of_time_dot_body() {
        // The value `openssl dgst -sha256 -hmac whsec_test` gives for `1700000000.{}`, as the
        // docs' shell example computes it.
        let sig = signature("whsec_test", 1_700_000_000, "{}");
        assert_eq!(
            sig,
            "35495024f4ef3f94e5a93e22221544c4b75e9a42300cd965ab81cb85cd994e91"
        );
        assert_eq!(sig.len(), 64);
        assert_eq!(
            signature_header("whsec_test", 1_700_000_000, "{}"),
            format!("t=1700000000,v1={sig}")
        );
        assert_ne!(sig, signature("whsec_test", 1_700_000_001, "{}"));
    }

    #[test]
    fn https_anywhere_http_only_to_this_machine_when_allowed() {
        assert!(check_url("https://erp.example.be/hooks", false).is_ok());
        assert_eq!(
            check_url("http://erp.example.be/hooks", true),
            Err(UrlRefusal::NotHttps)
        );
        assert_eq!(
            check_url("http://127.0.0.1:8080/hooks", false),
            Err(UrlRefusal::LocalHttpOff)
        );
        assert!(check_url("http://127.0.0.1:8080/hooks", true).is_ok());
        assert!(check_url("http://localhost/hooks", true).is_ok());
        assert_eq!(check_url("ftp://x.be/", true), Err(UrlRefusal::Invalid));
        assert_eq!(check_url("erp", true), Err(UrlRefusal::Invalid));
        assert_eq!(
            check_url("https://user:pw@erp.example.be/", true),
            Err(UrlRefusal::Credentials)
        );
    }

    #[test]
    fn timeline_events_map_to_webhook_events() {
        assert_eq!(
            for_timeline("submitted"),
            Some(("request.filed", Audience::Parties))
        );
        assert_eq!(
            for_timeline("permit.refused"),
            Some(("permit.decided", Audience::AllParties))
        );
        assert_eq!(for_timeline("operator_note"), None);
        assert_eq!(
            chosen_events(["offer.sent", "nope", "request.filed"]),
            vec!["request.filed", "offer.sent"]
        );
    }
}
