//! Why a part of a request is not made: every refusal is in writing with its reasons (rule
//! B-4.4), so each carries the rule that refuses and either a reason the rules word (a key
//! with its arguments) or the reason staff wrote. Stored with the answer, shown in the
//! reader's language wherever the part appears.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::i18n::Tr;

/// The rule of a refusal staff write without naming a more precise one: the operator's
/// right to refuse, in writing with its reasons (B-4.4).
pub const WRITTEN_REFUSAL_RULE: &str = "B-4.4";

/// The rules staff may name when they refuse a part by hand (RULES.md): the title and
/// documents (B-4.1), the distance to the main (B-4.2), one connection per parcel (B-4.3),
/// the survey (B-5.1), a modification (B-8), the size of the building (C-1), an industrial
/// project (V-2.1), or the refusal in writing itself (B-4.4).
pub const STAFF_RULES: [&str; 8] = [
    WRITTEN_REFUSAL_RULE,
    "B-4.1",
    "B-4.2",
    "B-4.3",
    "B-5.1",
    "B-8",
    "C-1",
    "V-2.1",
];

/// A reason in words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RefusalReason {
    /// Worded by the rules: a translation key (`tariff.refusal.*`) and its arguments.
    Keyed {
        key: String,
        #[serde(default)]
        args: BTreeMap<String, String>,
    },
    /// Written by operator staff, as they wrote it.
    Written { text: String },
}

/// One reason a part is not made, with its rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refusal {
    /// The rule id, e.g. `B-4.2`.
    pub rule: String,
    pub reason: RefusalReason,
}

impl Refusal {
    pub fn keyed(rule: &str, key: &str, args: BTreeMap<String, String>) -> Self {
        Refusal {
            rule: rule.to_owned(),
            reason: RefusalReason::Keyed {
                key: key.to_owned(),
                args,
            },
        }
    }

    pub fn written(rule: &str, text: &str) -> Self {
        Refusal {
            rule: rule.to_owned(),
            reason: RefusalReason::Written {
                text: text.to_owned(),
            },
        }
    }

    /// The reason alone, in the reader's language (a written one as staff wrote it).
    pub fn reason_text(&self, tr: Tr) -> String {
        match &self.reason {
            RefusalReason::Keyed { key, args } => {
                let args: Vec<(&str, &str)> =
                    args.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
                tr.f(key, args)
            }
            RefusalReason::Written { text } => text.clone(),
        }
    }

    /// "Non réalisable — <reason> (règle B-4.2)", in the reader's language.
    pub fn text(&self, tr: Tr) -> String {
        let reason = self.reason_text(tr);
        let reason = reason.trim().trim_end_matches('.');
        tr.f(
            "refusal.line",
            [("reason", reason), ("rule", self.rule.as_str())],
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Language;

    #[test]
    fn b_4_4_a_refusal_says_its_reason_and_rule_in_the_reader_language() {
        let far = Refusal::keyed(
            "B-4.2",
            "tariff.refusal.water_too_far",
            [
                ("metres".to_owned(), "60".to_owned()),
                ("max".to_owned(), "50".to_owned()),
            ]
            .into(),
        );
        assert_eq!(
            far.text(Tr(Language::Fr)),
            "Non réalisable — La parcelle reste à 60 m de la conduite après l'extension : \
             au plus 50 m (règle B-4.2)"
        );
        let written = Refusal::written(WRITTEN_REFUSAL_RULE, "Sol rocheux.");
        assert_eq!(
            written.text(Tr(Language::En)),
            "Not feasible — Sol rocheux (rule B-4.4)"
        );
        assert_eq!(
            written.text(Tr(Language::De)),
            "Nicht realisierbar — Sol rocheux (Regel B-4.4)"
        );
        assert_eq!(
            written.text(Tr(Language::Nl)),
            "Niet uitvoerbaar — Sol rocheux (regel B-4.4)"
        );
    }

    #[test]
    fn refusals_round_trip_through_json() {
        let stored = serde_json::to_string(&Refusal::written("B-5.1", "Nappe")).unwrap();
        assert_eq!(
            stored,
            r#"{"rule":"B-5.1","reason":{"kind":"written","text":"Nappe"}}"#
        );
        assert_eq!(
            serde_json::from_str::<Refusal>(&stored).unwrap(),
            Refusal::written("B-5.1", "Nappe")
        );
    }
}
