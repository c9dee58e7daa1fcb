//! The consolidated offer (rule C-3), rendered without a server: email bodies, PDF, payment
//! references and QR payloads, and the joint-day invitation.
//!
//! Golden files live in tests/snapshots/. A changed rendering fails the test; review it with
//! `cargo insta review` (or `INSTA_UPDATE=always` then `git diff`) and commit the new snapshot.

use chrono::{DateTime, NaiveDate, Utc};
use connect_my_home::{
    domain::{Iban, Language, PaymentRefError, StructuredCommunication},
    i18n::Tr,
    quote::{
        Addressee, Contact, DocumentKind, DocumentScope, JointDayInvite, OfferDocument, OfferLine,
        OperatorSection, Payment, QuoteError, Supersedes, VatSummaryRow, email, invitation, pdf,
    },
};
use rust_decimal::Decimal;

fn d(text: &str) -> Decimal {
    text.parse().unwrap()
}

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn pick(language: Language, fr: &str, en: &str, de: &str, nl: &str) -> String {
    match language {
        Language::Fr => fr.to_owned(),
        Language::En => en.to_owned(),
        Language::De => de.to_owned(),
        Language::Nl => nl.to_owned(),
    }
}

#[allow(clippy::too_many_arguments)]
fn line(
    tr: Tr,
    label: String,
    quantity: &str,
    unit: &str,
    unit_price: &str,
    vat: &str,
    rule: &str,
    book: &str,
) -> OfferLine {
    let quantity = d(quantity);
    let unit_price = d(unit_price);
    let amount = (quantity * unit_price).round_dp(2);
    OfferLine {
        label,
        quantity,
        unit: tr.t(&format!("tariff.unit.{unit}")).to_owned(),
        unit_price,
        amount_excl_vat: amount,
        vat_label: tr.t("tariff.vat.standard").to_owned(),
        vat_regime: "standard".to_owned(),
        vat_amount: d(vat),
        rule: rule.to_owned(),
        book_version: book.to_owned(),
    }
}

const ORES_COMMUNICATION: &str = "+++202/6000/04236+++";
const SWDE_COMMUNICATION: &str = "+++202/6100/04229+++";

/// Journey 1 of JOURNEYS.md: Marie's new house in Namur, electricity 3 × 25 A and gas from ORES
/// (gas free), water from SWDE, Proximus and VOO (free, C-5). ORES is one payee: one section.
fn journey_one(language: Language) -> OfferDocument {
    let tr = Tr(language);
    let ores_book = "ORES-2026-demo.1";
    let swde_book = "SWDE-2026-demo.1";
    let electricity = line(
        tr,
        tr.f(
            "tariff.line.electricity_band",
            [(
                "band",
                tr.band(connect_my_home::domain::ElectricityBand::parse("3x25").unwrap())
                    .as_str(),
            )],
        ),
        "1",
        "flat",
        "1450.00",
        "304.50",
        "V-4",
        ores_book,
    );
    let gas = line(
        tr,
        tr.t("tariff.line.gas_standard_new").to_owned(),
        "1",
        "flat",
        "0.00",
        "0.00",
        "C-1",
        ores_book,
    );
    let water = vec![
        line(
            tr,
            tr.t("tariff.line.water_registration_fee").to_owned(),
            "1",
            "flat",
            "50.00",
            "10.50",
            "B-4.1",
            swde_book,
        ),
        line(
            tr,
            tr.f("tariff.line.water_parts", [("included", "10")]),
            "1",
            "flat",
            "480.00",
            "100.80",
            "B-5.2",
            swde_book,
        ),
        line(
            tr,
            tr.t("tariff.line.water_labour").to_owned(),
            "1",
            "flat",
            "440.00",
            "92.40",
            "B-5.2",
            swde_book,
        ),
        line(
            tr,
            tr.f(
                "tariff.line.water_parts_extra_metres",
                [("included", "10"), ("length", "14")],
            ),
            "4",
            "metre",
            "28.00",
            "23.52",
            "B-5.2",
            swde_book,
        ),
        line(
            tr,
            tr.t("tariff.line.water_labour_extra_metres").to_owned(),
            "4",
            "metre",
            "36.00",
            "30.24",
            "B-5.2",
            swde_book,
        ),
    ];
    let telecom_service = pick(
        language,
        "Télécom",
        "Telecom",
        "Telekommunikation",
        "Telecom",
    );
    let telecom = |operator: &str, service: &str, book: &str| OperatorSection {
        operator: operator.to_owned(),
        services: vec![service.to_owned()],
        lines: vec![line(
            tr,
            tr.t("tariff.line.telecom_standard").to_owned(),
            "1",
            "flat",
            "0.00",
            "0.00",
            "C-5",
            book,
        )],
        subtotal_excl_vat: d("0.00"),
        subtotal_vat: d("0.00"),
        subtotal_incl_vat: d("0.00"),
        prerequisites: vec![pick(
            language,
            "Gaine télécom posée dans la tranchée commune — avant le 1er mars 2027",
            "Telecom sleeve laid in the shared trench — by 1 March 2027",
            "Telekom-Schutzrohr im gemeinsamen Graben verlegt — bis zum 1. März 2027",
            "Telecommantelbuis gelegd in de gemeenschappelijke sleuf — uiterlijk op 1 maart 2027",
        )],
        lead_time: pick(
            language,
            "Le jour commun d'intervention",
            "On the joint intervention day",
            "Am gemeinsamen Einsatztag",
            "Op de gezamenlijke dag van de werken",
        ),
        notes: vec![tr.t("tariff.mention.telecom_free").to_owned()],
        refusals: Vec::new(),
        payment: None,
        document: DocumentKind::Offer,
        scope: DocumentScope::Connections,
        vat: Vec::new(),
        holders: Vec::new(),
        credits: Vec::new(),
        payer: None,
    };
    OfferDocument {
        language,
        reference: "CMH-2026-000042".into(),
        version: 1,
        supersedes: None,
        issued_on: day(2026, 11, 23),
        valid_until: day(2027, 5, 23),
        applicant: Addressee {
            name: "Marie Dupont".into(),
            email: "marie.dupont@example.be".into(),
            address: vec!["Rue des Champs 12".into(), "5000 Namur".into()],
        },
        site: "Rue des Champs 12, 5000 Namur".into(),
        contact: Contact {
            organisation: "ORES".into(),
            officer: "Julien Lambert".into(),
            email: "julien.lambert@ores.example".into(),
            phone: "+32 78 15 78 01".into(),
        },
        sections: vec![
            OperatorSection {
                operator: "ORES".into(),
                services: vec![
                    pick(
                        language,
                        "Électricité",
                        "Electricity",
                        "Strom",
                        "Elektriciteit",
                    ),
                    pick(language, "Gaz naturel", "Natural gas", "Erdgas", "Aardgas"),
                ],
                lines: vec![electricity, gas],
                subtotal_excl_vat: d("1450.00"),
                subtotal_vat: d("304.50"),
                subtotal_incl_vat: d("1754.50"),
                prerequisites: vec![pick(
                    language,
                    "Copie du permis de bâtir — au plus tard 15 jours avant les travaux",
                    "Copy of the building permit — at the latest 15 days before the works",
                    "Kopie der Baugenehmigung — spätestens 15 Tage vor den Arbeiten",
                    "Kopie van de bouwvergunning — uiterlijk 15 dagen vóór de werken",
                )],
                lead_time: pick(
                    language,
                    "30 jours ouvrables après le paiement complet et les permis (règle V-8.2.2)",
                    "30 working days after full payment and permits (rule V-8.2.2)",
                    "30 Werktage nach vollständiger Zahlung und Genehmigungen (Regel V-8.2.2)",
                    "30 werkdagen na volledige betaling en vergunningen (regel V-8.2.2)",
                ),
                notes: vec![pick(
                    language,
                    "Le raccordement gaz standard d'un logement neuf est gratuit.",
                    "The standard gas connection of a new dwelling is free.",
                    "Der Standard-Gasanschluss einer neuen Wohnung ist kostenlos.",
                    "De standaardaansluiting op aardgas van een nieuwe woning is gratis.",
                )],
                refusals: Vec::new(),
                payment: Some(Payment {
                    payee: "ORES".into(),
                    iban: "BE68 5390 0754 7034".into(),
                    bic: Some("BBRUBEBB".into()),
                    amount: d("1754.50"),
                    structured_communication: ORES_COMMUNICATION.into(),
                    after_works: false,
                }),
                document: DocumentKind::Offer,
                scope: DocumentScope::Connections,
                vat: Vec::new(),
                holders: Vec::new(),
                credits: Vec::new(),
                payer: None,
            },
            OperatorSection {
                operator: "SWDE".into(),
                services: vec![pick(language, "Eau", "Water", "Wasser", "Water")],
                lines: water,
                subtotal_excl_vat: d("1226.00"),
                subtotal_vat: d("257.46"),
                subtotal_incl_vat: d("1483.46"),
                prerequisites: vec![
                    pick(
                        language,
                        "Certificat CertIBEau de l'installation intérieure — avant le 15 février 2027",
                        "CertIBEau certificate of the indoor installation — by 15 February 2027",
                        "CertIBEau-Bescheinigung der Innenanlage — bis zum 15. Februar 2027",
                        "CertIBEau-attest van de binneninstallatie — uiterlijk op 15 februari 2027",
                    ),
                    pick(
                        language,
                        "Tranchée sur le terrain privé (1 m de profondeur) avec gaine — avant le 1er mars 2027",
                        "Trench on private land (1 m deep) with sleeve — by 1 March 2027",
                        "Graben auf Privatgrund (1 m tief) mit Schutzrohr — bis zum 1. März 2027",
                        "Sleuf op privéterrein (1 m diep) met mantelbuis — uiterlijk op 1 maart 2027",
                    ),
                ],
                lead_time: pick(
                    language,
                    "Dans le mois du paiement",
                    "Within one month of payment",
                    "Innerhalb eines Monats nach der Zahlung",
                    "Binnen de maand na de betaling",
                ),
                notes: vec![tr.t("tariff.mention.water_payment_before_works").to_owned()],
                refusals: Vec::new(),
                payment: Some(Payment {
                    payee: "SWDE".into(),
                    iban: "BE71096123456769".into(),
                    bic: Some("GKCCBEBB".into()),
                    amount: d("1483.46"),
                    structured_communication: SWDE_COMMUNICATION.into(),
                    after_works: false,
                }),
                document: DocumentKind::Offer,
                scope: DocumentScope::Connections,
                vat: Vec::new(),
                holders: Vec::new(),
                credits: Vec::new(),
                payer: None,
            },
            telecom("Proximus", &telecom_service, "PROXIMUS-2026-demo.1"),
            telecom("VOO", &telecom_service, "VOO-2026-demo.1"),
        ],
        vat: vec![VatSummaryRow {
            label: tr.t("tariff.vat.standard").to_owned(),
            base: d("2676.00"),
            vat: d("561.96"),
        }],
        vat_mentions: Vec::new(),
        total_excl_vat: d("2676.00"),
        total_vat: d("561.96"),
        total_incl_vat: d("3237.96"),
        conditions: [
            "offer_validity",
            "contract_formation",
            "works_lead_time",
            "one_day",
        ]
        .iter()
        .map(|key| tr.t(&format!("tariff.mention.{key}")).to_owned())
        .collect(),
        proposed_days: vec![day(2027, 3, 9), day(2027, 3, 10), day(2027, 3, 16)],
        status_url: "https://connect-my-home.example/track/7d1f0c2a9b8e4f6a1c3d5e7f9a0b2c4d".into(),
    }
}

/// A revised offer with 40 lines, a reverse-charge mention and a superseded version.
fn forty_lines() -> OfferDocument {
    let mut doc = journey_one(Language::Fr);
    let tr = Tr(Language::Fr);
    doc.version = 2;
    doc.supersedes = Some(Supersedes {
        version: 1,
        reason: "Révisée à votre demande : deux lots ajoutés (règle V-8.3)".into(),
    });
    doc.sections[0].lines = (1..=40)
        .map(|n| {
            line(
                tr,
                format!(
                    "Poste de viabilisation numéro {n} pour le lot {}",
                    n % 7 + 1
                ),
                "2.5",
                "metre",
                "95.00",
                "49.88",
                "V-4.1b",
                "ORES-2026-demo.1",
            )
        })
        .collect();
    doc.vat_mentions = vec![tr.t("tariff.mention.vat_reverse_charge").to_owned()];
    doc
}

/// The text a reader (or a screen reader) gets out of the PDF. With `CMH_OFFER_PDF_DIR` set,
/// the PDFs are also written there, to look at them.
fn pdf_text(bytes: &[u8]) -> String {
    if let Ok(dir) = std::env::var("CMH_OFFER_PDF_DIR") {
        let name = format!("offer-{:08x}.pdf", bytes.len());
        std::fs::write(std::path::Path::new(&dir).join(name), bytes).unwrap();
    }
    pdf_extract::extract_text_from_mem(bytes).expect("the PDF text can be extracted")
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn page_count(bytes: &[u8]) -> usize {
    pdf_extract::Document::load_mem(bytes)
        .expect("the PDF parses")
        .get_pages()
        .len()
}

#[test]
fn c_3_the_offer_email_in_french_carries_every_operator() {
    let doc = journey_one(Language::Fr);
    let mail = email(&doc, Tr(Language::Fr)).unwrap();
    assert_eq!(
        mail.subject,
        "Votre offre de raccordements CMH-2026-000042 (version 1)"
    );
    for operator in ["ORES", "SWDE", "Proximus", "VOO"] {
        assert!(mail.text.contains(operator), "{operator}");
        assert!(mail.html.contains(operator), "{operator}");
    }
    assert!(mail.text.contains("3\u{202f}237,96 €"));
    assert!(mail.text.contains("23 mai 2027"));
    assert!(mail.text.contains("mardi 9 mars 2027"));
    assert!(mail.text.contains(ORES_COMMUNICATION) && mail.text.contains(SWDE_COMMUNICATION));
    assert!(mail.text.contains("BE68 5390 0754 7034"));
    assert!(mail.text.contains("Rien à payer à Proximus."));
    assert_eq!(mail.html.matches("data:image/png;base64,").count(), 2);
    insta::assert_snapshot!("offer_email_fr_text", mail.text);
    insta::assert_snapshot!("offer_email_fr_html", mail.html);
}

#[test]
fn c_3_the_offer_email_in_english_formats_amounts_and_dates_in_english() {
    let doc = journey_one(Language::En);
    let mail = email(&doc, Tr(Language::En)).unwrap();
    assert_eq!(
        mail.subject,
        "Your offer for your connections CMH-2026-000042 (version 1)"
    );
    assert!(mail.text.contains("€3,237.96"));
    assert!(mail.text.contains("23 May 2027"));
    assert!(mail.text.contains("Tuesday 9 March 2027"));
    insta::assert_snapshot!("offer_email_en_text", mail.text);
    insta::assert_snapshot!("offer_email_en_html", mail.html);
}

#[test]
fn c_3_the_offer_pdf_in_french_is_text_with_accents_and_euros() {
    let doc = journey_one(Language::Fr);
    let bytes = pdf(&doc, Tr(Language::Fr)).unwrap();
    assert!(bytes.starts_with(b"%PDF-"));
    // Deterministic: the same offer gives the same bytes.
    assert_eq!(bytes, pdf(&doc, Tr(Language::Fr)).unwrap());
    let text = pdf_text(&bytes);
    let flat = one_line(&text);
    for expected in [
        "CMH-2026-000042 v1",
        "ORES — Électricité, Gaz naturel",
        "23 novembre 2026",
        "23 mai 2027",
        "3\u{202f}237,96 €",
        "BE68 5390 0754 7034",
        ORES_COMMUNICATION,
        SWDE_COMMUNICATION,
        "Rien à payer à VOO.",
    ] {
        assert!(
            flat.contains(&one_line(expected)),
            "{expected} missing from:\n{text}"
        );
    }
    for section in &doc.sections {
        for line in &section.lines {
            assert!(flat.contains(&one_line(&line.label)), "{}", line.label);
        }
    }
    insta::assert_snapshot!("offer_pdf_fr_text", text);
}

#[test]
fn c_3_the_offer_pdf_in_english() {
    let doc = journey_one(Language::En);
    let bytes = pdf(&doc, Tr(Language::En)).unwrap();
    let text = pdf_text(&bytes);
    let flat = one_line(&text);
    assert!(flat.contains("€3,237.96"), "{text}");
    assert!(flat.contains("Valid until 23 May 2027"), "{text}");
    insta::assert_snapshot!("offer_pdf_en_text", text);
}

#[test]
fn c_3_the_offer_email_in_german_formats_amounts_and_dates_in_german() {
    let doc = journey_one(Language::De);
    let mail = email(&doc, Tr(Language::De)).unwrap();
    assert_eq!(
        mail.subject,
        "Ihr Angebot für Anschlüsse CMH-2026-000042 (Version 1)"
    );
    assert!(mail.text.contains("3.237,96 €"), "{}", mail.text);
    assert!(mail.text.contains("23. Mai 2027"), "{}", mail.text);
    assert!(
        mail.text.contains("Dienstag, 9. März 2027"),
        "{}",
        mail.text
    );
    assert!(mail.text.contains("Nichts an Proximus zu zahlen."));
    assert!(mail.html.contains("<html lang=\"de\">"));
    assert_eq!(mail.html.matches("data:image/png;base64,").count(), 2);
    insta::assert_snapshot!("offer_email_de_text", mail.text);
    insta::assert_snapshot!("offer_email_de_html", mail.html);
}

#[test]
fn c_3_the_offer_pdf_in_german() {
    let doc = journey_one(Language::De);
    let bytes = pdf(&doc, Tr(Language::De)).unwrap();
    let text = pdf_text(&bytes);
    let flat = one_line(&text);
    for expected in [
        "ORES — Strom, Erdgas",
        "23. November 2026",
        "Gültig bis zum 23. Mai 2027",
        "3.237,96 €",
        "Nichts an VOO zu zahlen.",
    ] {
        assert!(
            flat.contains(&one_line(expected)),
            "{expected} missing from:\n{text}"
        );
    }
    for section in &doc.sections {
        for line in &section.lines {
            assert!(flat.contains(&one_line(&line.label)), "{}", line.label);
        }
    }
    insta::assert_snapshot!("offer_pdf_de_text", text);
}

#[test]
fn c_3_the_offer_email_in_dutch_formats_amounts_and_dates_the_belgian_way() {
    let doc = journey_one(Language::Nl);
    let mail = email(&doc, Tr(Language::Nl)).unwrap();
    assert_eq!(
        mail.subject,
        "Uw offerte voor aansluitingen CMH-2026-000042 (versie 1)"
    );
    for expected in [
        "Beste Marie Dupont,",
        "Hier is de offerte voor al uw aansluitingen, samengebracht in één bericht.",
        "€\u{a0}3.237,96",
        "De offerte is geldig tot 23 mei 2027 (6 maanden vanaf de verzending, regel V-8.1).",
        "dinsdag 9 maart 2027",
        "Niets te betalen aan Proximus.",
    ] {
        assert!(
            mail.text.contains(expected),
            "{expected} missing from:\n{}",
            mail.text
        );
    }
    assert!(mail.html.contains("<html lang=\"nl\">"));
    // No French, English or German words slipped into the Dutch email.
    for foreign in [
        "Bonjour",
        "Votre",
        "Hello",
        "Your offer",
        "Guten",
        "€3,237.96",
        "3.237,96 €",
    ] {
        assert!(!mail.text.contains(foreign), "{foreign} in:\n{}", mail.text);
    }
}

#[test]
fn c_3_the_offer_pdf_in_dutch() {
    let doc = journey_one(Language::Nl);
    let bytes = pdf(&doc, Tr(Language::Nl)).unwrap();
    let text = pdf_text(&bytes);
    let flat = one_line(&text);
    for expected in [
        "Offerte voor uw aansluitingen",
        "ORES — Elektriciteit, Aardgas",
        "23 november 2026",
        "Geldig tot 23 mei 2027",
        "Gestructureerde mededeling",
        "Niets te betalen aan VOO.",
    ] {
        assert!(
            flat.contains(&one_line(expected)),
            "{expected} missing from:\n{text}"
        );
    }
    // The amounts: the euro sign first (the PDF text may render the no-break space plainly).
    assert!(
        flat.contains("€ 3.237,96") || flat.contains("€\u{a0}3.237,96"),
        "{text}"
    );
    for section in &doc.sections {
        for line in &section.lines {
            assert!(flat.contains(&one_line(&line.label)), "{}", line.label);
        }
    }
    for foreign in ["Offre", "Valable", "Offer for", "Gültig"] {
        assert!(!flat.contains(foreign), "{foreign} in:\n{text}");
    }
}

#[test]
fn forty_lines_run_over_pages_and_every_label_is_printed() {
    let doc = forty_lines();
    let bytes = pdf(&doc, Tr(Language::Fr)).unwrap();
    assert!(page_count(&bytes) >= 2, "{} pages", page_count(&bytes));
    assert_eq!(
        page_count(&bytes),
        connect_my_home::quote::pdf::page_count(&doc, Tr(Language::Fr)).unwrap()
    );
    let flat = one_line(&pdf_text(&bytes));
    for line in doc.sections.iter().flat_map(|s| &s.lines) {
        assert!(flat.contains(&line.label), "{} missing", line.label);
    }
    let pages = page_count(&bytes).to_string();
    assert!(
        flat.contains(&format!("Page {pages} sur {pages}")),
        "{flat}"
    );
    // The table header is repeated on the next page.
    assert!(flat.matches("Prix unitaire").count() >= 2);
    assert!(flat.contains("remplace la version 1"));
    assert!(flat.contains("Autoliquidation — article 51"));
    // The email of the same offer shows the revision and the VAT mention too.
    let mail = email(&doc, Tr(Language::Fr)).unwrap();
    assert!(mail.text.contains("Cette version remplace la version 1"));
    assert!(mail.text.contains("Autoliquidation — article 51"));
}

#[test]
fn each_payee_gets_its_epc_payload() {
    let doc = journey_one(Language::Fr);
    let payloads: Vec<String> = doc
        .payments()
        .map(|(_, payment)| payment.epc_payload().unwrap())
        .collect();
    assert_eq!(
        payloads,
        [
            "BCD\n002\n1\nSCT\nBBRUBEBB\nORES\nBE68539007547034\nEUR1754.50\n\n\n+++202/6000/04236+++",
            "BCD\n002\n1\nSCT\nGKCCBEBB\nSWDE\nBE71096123456769\nEUR1483.46\n\n\n+++202/6100/04229+++",
        ]
    );
    // Proximus and VOO are free (C-5): no payee, no QR code.
    assert_eq!(doc.payments().count(), 2);
}

#[test]
fn structured_communications_have_their_mod_97_check_digits() {
    // 2026000042 mod 97 = 36; 2026100042 mod 97 = 29; 0 mod 97 = 0 → 97.
    assert_eq!(
        StructuredCommunication::from_base(2_026_000_042)
            .unwrap()
            .to_string(),
        ORES_COMMUNICATION
    );
    assert_eq!(
        StructuredCommunication::parse(SWDE_COMMUNICATION)
            .unwrap()
            .check(),
        29
    );
    assert_eq!(
        StructuredCommunication::from_base(0).unwrap().digits(),
        "000000000097"
    );
    assert_eq!(
        StructuredCommunication::parse("+++202/6000/04237+++"),
        Err(PaymentRefError::CommunicationCheck)
    );
}

#[test]
fn ibans_are_checked() {
    assert_eq!(
        Iban::parse("be71 0961 2345 6769").unwrap().to_string(),
        "BE71 0961 2345 6769"
    );
    assert_eq!(
        Iban::parse("BE71 0961 2345 6768"),
        Err(PaymentRefError::IbanCheck)
    );
    assert_eq!(
        Iban::parse("BE71 0961 2345 676"),
        Err(PaymentRefError::IbanLength)
    );
}

#[test]
fn a_wrong_payment_stops_the_email_and_the_pdf() {
    let mut doc = journey_one(Language::Fr);
    if let Some(payment) = doc.sections[1].payment.as_mut() {
        payment.iban = "BE71 0961 2345 6768".into();
    }
    let refused = email(&doc, Tr(Language::Fr)).unwrap_err();
    assert!(
        matches!(&refused, QuoteError::Payment { payee, .. } if payee == "SWDE"),
        "{refused}"
    );
    assert!(matches!(
        pdf(&doc, Tr(Language::Fr)),
        Err(QuoteError::Payment { .. })
    ));
    // The page partial does not fail: it shows the details without a QR code.
    let html = connect_my_home::quote::render::sections_html(&doc, Tr(Language::Fr)).unwrap();
    assert!(html.contains("Code QR indisponible"));
    assert_eq!(html.matches("<svg ").count(), 1);
}

#[test]
fn the_page_partial_has_accessible_tables_and_qr_codes() {
    let doc = journey_one(Language::Fr);
    let html = connect_my_home::quote::render::sections_html(&doc, Tr(Language::Fr)).unwrap();
    assert_eq!(html.matches("<table class=\"quote stack\">").count(), 5);
    assert_eq!(html.matches("<caption>").count(), 5);
    assert!(html.contains("<th scope=\"col\">Poste</th>"));
    assert!(
        html.contains("<th scope=\"row\">Frais d'inscription")
            || html.contains("<th scope=\"row\">Droit d&#39;inscription")
            || html.contains("<th scope=\"row\">Droit d&#x27;inscription"),
        "{html}"
    );
    assert_eq!(html.matches("<svg ").count(), 2);
    assert!(html.contains("role=\"img\""));
    assert!(html.contains("1\u{202f}754,50 €"));
}

#[test]
fn c_4_the_joint_day_invitation_is_a_request_over_the_crews_arrival_window() {
    let ics = invitation(JointDayInvite {
        uid: "CMH-2026-000042-joint-day@connect-my-home".into(),
        reference: "CMH-2026-000042".into(),
        date: day(2027, 3, 9),
        arrival: connect_my_home::quote::ics::ArrivalWindow::MORNING,
        site: "Rue des Champs 12, 5000 Namur".into(),
        summary: "Connect my home : vos raccordements CMH-2026-000042".into(),
        description: "ORES, SWDE, Proximus et VOO viennent le même jour.".into(),
        organizer_email: "julien.lambert@ores.example".into(),
        attendee_email: "marie.dupont@example.be".into(),
        stamp: DateTime::parse_from_rfc3339("2026-12-01T09:30:00Z")
            .unwrap()
            .with_timezone(&Utc),
        sequence: 0,
    });
    assert!(ics.contains("METHOD:REQUEST\r\n"));
    assert!(ics.contains("BEGIN:VEVENT\r\n"));
    // Brussels time, not an all-day event.
    assert!(ics.contains("DTSTART;TZID=Europe/Brussels:20270309T080000\r\n"));
    assert!(ics.contains("DTEND;TZID=Europe/Brussels:20270309T120000\r\n"));
    assert!(ics.contains("BEGIN:VTIMEZONE\r\nTZID:Europe/Brussels\r\n"));
    assert!(ics.contains("DTSTAMP:20261201T093000Z\r\n"));
    assert!(
        ics.contains("LOCATION:Rue des Champs 12\\, 5000 Namur\r\n"),
        "{ics}"
    );
}

#[test]
fn a_service_named_after_its_operator_is_not_named_twice() {
    let mut doc = journey_one(Language::Fr);
    let voo = doc
        .sections
        .iter_mut()
        .find(|s| s.operator == "VOO")
        .unwrap();
    voo.services = vec!["VOO".to_owned()];
    let html = connect_my_home::quote::render::sections_html(&doc, Tr(Language::Fr)).unwrap();
    assert!(html.contains("<h3>VOO</h3>"), "{html}");
    assert!(!html.contains("VOO — VOO"));
    assert!(html.contains("<h3>SWDE — "), "{html}");
    // Nor in the email's summary (issue 22: "Proximus (Proximus)").
    let mail = connect_my_home::quote::render::email(&doc, Tr(Language::Fr)).unwrap();
    assert!(
        mail.text.contains("\n- VOO : 0,00 € TVA comprise"),
        "{}",
        mail.text
    );
    assert!(!mail.text.contains("VOO (VOO)"), "{}", mail.text);
    assert!(mail.text.contains("- SWDE (Eau) : "), "{}", mail.text);
}
