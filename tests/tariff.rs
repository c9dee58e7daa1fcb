//! Tariff engines against the rules of RULES.md: each test names the rule it checks, and the
//! worked examples are computed by hand in the comments (demo books of 2026 unless stated).

use chrono::NaiveDate;
use connect_my_home::{
    domain::Language,
    i18n,
    tariff::{
        self, BookSet, BuildingKind, CabinCase, CabinKind, DocumentKind, EarlierHolder,
        ElectricityCase, Estimate, EstimateCase, Exclusion, GasCase, LineKind, Metres, Money,
        Operation, Operator, OperatorQuote, QuoteLine, Scope, ServicingCase, SocialPromoter,
        TariffError, Tariffs, Unit, VatRegime, VatStatus, WaterCase, WaterWork, estimate,
        estimate_json,
        servicing::{cabin_lease_fee, cabins_for, dossier_fee_due},
        water::quote_parts,
    },
};
use proptest::prelude::*;
use rust_decimal::Decimal;

fn date(text: &str) -> NaiveDate {
    text.parse().unwrap()
}

fn d(text: &str) -> Decimal {
    text.parse().unwrap()
}

fn money(text: &str) -> Money {
    Money::from_decimal(d(text))
}

/// The sum as plain decimals: an independent check of the engines' checked sums.
fn sum(amounts: impl Iterator<Item = Money>) -> Money {
    Money::from_decimal(amounts.map(Money::amount).sum())
}

fn plus(a: Money, b: Money) -> Money {
    Money::from_decimal(a.amount() + b.amount())
}

fn m(text: &str) -> Metres {
    Metres::new(d(text)).unwrap()
}

fn tariffs() -> &'static Tariffs {
    Tariffs::embedded()
}

fn case() -> EstimateCase {
    EstimateCase::new(date("2026-03-02"))
}

fn with_servicing(servicing: ServicingCase) -> EstimateCase {
    EstimateCase {
        servicing: Some(servicing),
        ..case()
    }
}

fn division(frontage: &str, parcels: u32) -> ServicingCase {
    ServicingCase {
        operation: Operation::Division,
        frontage_m: m(frontage),
        parcels,
        ..ServicingCase::default()
    }
}

fn with_water(water: WaterCase) -> EstimateCase {
    EstimateCase {
        water: Some(water),
        ..case()
    }
}

fn water(distance: &str, inside: &str) -> WaterCase {
    WaterCase {
        distance_to_main_m: m(distance),
        inside_parcel_m: m(inside),
        ..WaterCase::default()
    }
}

fn run(case: &EstimateCase) -> Estimate {
    estimate(tariffs(), case).unwrap()
}

fn quote(estimate: &Estimate, operator: Operator, scope: Scope) -> &OperatorQuote {
    estimate
        .quotes
        .iter()
        .find(|q| q.operator == operator && q.scope == scope)
        .unwrap_or_else(|| panic!("no {operator} {scope:?} quote"))
}

fn servicing_quote(estimate: &Estimate) -> &OperatorQuote {
    quote(estimate, Operator::Ores, Scope::Servicing)
}

fn water_quote(estimate: &Estimate) -> &OperatorQuote {
    quote(estimate, Operator::Swde, Scope::Connections)
}

fn line<'a>(quote: &'a OperatorQuote, code: &str) -> &'a QuoteLine {
    quote
        .lines
        .iter()
        .find(|l| l.code == code)
        .unwrap_or_else(|| panic!("no line {code} in {:?}", quote.lines))
}

fn has_line(quote: &OperatorQuote, code: &str) -> bool {
    quote.lines.iter().any(|l| l.code == code)
}

fn has_mention(estimate: &Estimate, rule: &str) -> bool {
    estimate.mentions.iter().any(|m| m.rule == Some(rule))
}

// ---------------------------------------------------------------- servicing (V-rules)

#[test]
fn v_4_1a_worked_example_four_lots_86_m_three_candelabras() {
    // 4-lot division, 86 m of frontage, 3 candelabras, private payer, T.5387 not met:
    //   dossier fee     1 × 250.00  =    250.00  21%   (V-3.1, V-6)
    //   servicing      86 ×  95.00  =  8,170.00  21%   (V-4.1a/b)
    //   public light.   3 × 1,650.00 = 4,950.00  21%   (V-4.3)
    //   base 21% = 13,370.00 → VAT 2,807.70 → total 16,177.70
    let mut servicing = division("86", 4);
    servicing.candelabras = 3;
    let estimate = run(&with_servicing(servicing.clone()));
    let quote = servicing_quote(&estimate);
    assert_eq!(line(quote, "V-DOSSIER").amount_excl_vat, money("250.00"));
    assert_eq!(line(quote, "V-FRONTAGE").amount_excl_vat, money("8170.00"));
    assert_eq!(line(quote, "V-FRONTAGE").rule, "V-4.1b");
    assert_eq!(line(quote, "V-EP").amount_excl_vat, money("4950.00"));
    assert_eq!(quote.subtotal_excl_vat, money("13370.00"));
    assert_eq!(quote.vat_total, money("2807.70"));
    assert_eq!(quote.total_incl_vat, money("16177.70"));
    assert_eq!(estimate.total_incl_vat, money("16177.70"));
    assert_eq!(quote.document, DocumentKind::Offer);

    // V-6, T.5387 met: the network leaves VAT; (250 + 4,950) × 21% = 1,092.00 → 14,462.00.
    servicing.t5387_conditions_met = true;
    let estimate = run(&with_servicing(servicing.clone()));
    let quote = servicing_quote(&estimate);
    assert_eq!(
        line(quote, "V-FRONTAGE").vat_regime,
        VatRegime::OutsideScope
    );
    assert_eq!(quote.vat_total, money("1092.00"));
    assert_eq!(quote.total_incl_vat, money("14462.00"));

    // V-6, VAT filer and T.5387: dossier 21% (52.50), lighting reverse charged, network
    // outside scope → 13,370.00 + 52.50 = 13,422.50.
    let estimate = run(&EstimateCase {
        applicant_vat: VatStatus::VatFiler,
        ..with_servicing(servicing)
    });
    let quote = servicing_quote(&estimate);
    assert_eq!(line(quote, "V-DOSSIER").vat_regime, VatRegime::Standard);
    assert_eq!(line(quote, "V-EP").vat_regime, VatRegime::ReverseCharge);
    assert_eq!(quote.total_incl_vat, money("13422.50"));
    assert!(has_mention(&estimate, "V-6"));
}

#[test]
fn v_4_1b_frontage_is_the_land_before_division_not_per_lot() {
    // 10 lots or 20 lots on the same 120 m: the same 120 × 95.00 = 11,400.00.
    for parcels in [10, 20] {
        let estimate = run(&with_servicing(division("120", parcels)));
        let frontage = line(servicing_quote(&estimate), "V-FRONTAGE");
        assert_eq!(frontage.quantity, d("120"));
        assert_eq!(frontage.amount_excl_vat, money("11400.00"));
    }
}

#[test]
fn v_4_1c_worked_example_donation_into_three_parcels_25_12_30() {
    // Donation split into 3 parcels with 25, 12 and 30 m planned frontage, capped at 20 m each:
    //   20 + 12 + 20 = 52 m × 95.00 = 4,940.00; dossier 250.00; base 5,190.00;
    //   VAT 21% 1,089.90; total 6,279.90. Invoiced directly to the author (V-2.3).
    let servicing = ServicingCase {
        operation: Operation::Donation,
        planned_frontages_m: vec![m("25"), m("12"), m("30")],
        parcels: 3,
        ..ServicingCase::default()
    };
    let estimate = run(&with_servicing(servicing));
    let quote = servicing_quote(&estimate);
    let frontage = line(quote, "V-FRONTAGE");
    assert_eq!(frontage.rule, "V-4.1c");
    assert_eq!(frontage.quantity, d("52"));
    assert_eq!(frontage.amount_excl_vat, money("4940.00"));
    assert_eq!(frontage.args["planned"], "25 + 12 + 30");
    assert_eq!(quote.total_incl_vat, money("6279.90"));
    assert_eq!(quote.document, DocumentKind::Invoice);
}

#[test]
fn v_4_1c_donation_needs_the_planned_frontages() {
    let servicing = ServicingCase {
        operation: Operation::Donation,
        parcels: 2,
        ..ServicingCase::default()
    };
    let error = estimate(tariffs(), &with_servicing(servicing)).unwrap_err();
    assert!(error.to_string().contains("V-4.1c"), "{error}");
}

#[test]
fn v_2_1_every_kind_of_land_to_service_is_priced_and_industry_is_refused() {
    for operation in [
        Operation::Division,
        Operation::Donation,
        Operation::GroupedHousing,
        Operation::HolidayPark,
    ] {
        let servicing = ServicingCase {
            operation,
            frontage_m: m("40"),
            planned_frontages_m: vec![m("15")],
            parcels: 2,
            ..ServicingCase::default()
        };
        assert!(
            estimate(tariffs(), &with_servicing(servicing)).is_ok(),
            "{operation:?}"
        );
    }
    let industrial = ServicingCase {
        operation: Operation::Industrial,
        ..division("40", 2)
    };
    let error = estimate(tariffs(), &with_servicing(industrial)).unwrap_err();
    assert!(error.to_string().contains("V-2.1"), "{error}");
    // (a) a division makes at least two parcels.
    let error = estimate(tariffs(), &with_servicing(division("40", 1))).unwrap_err();
    assert!(error.to_string().contains("V-2.1"), "{error}");
}

#[test]
fn v_2_3_grouped_housing_and_donation_are_invoiced_to_the_author() {
    let grouped = ServicingCase {
        operation: Operation::GroupedHousing,
        frontage_m: m("18"),
        parcels: 3,
        ..ServicingCase::default()
    };
    let estimate = run(&with_servicing(grouped));
    assert_eq!(servicing_quote(&estimate).document, DocumentKind::Invoice);
    assert!(has_mention(&estimate, "V-2.3"));
    assert_eq!(estimate.offer_valid_until, None);
}

#[test]
fn v_2_3_the_payer_vat_status_may_differ_from_the_applicant() {
    // A household asks; the developer (a VAT filer) pays the servicing: its lighting is
    // reverse charged while the household's connection stays at 21%.
    let mut servicing = division("30", 2);
    servicing.candelabras = 1;
    servicing.payer_vat_status = Some(VatStatus::VatFiler);
    let estimate = run(&EstimateCase {
        electricity: Some(ElectricityCase {
            band: "1x40".into(),
            current_band: None,
        }),
        ..with_servicing(servicing)
    });
    assert_eq!(
        line(servicing_quote(&estimate), "V-EP").vat_regime,
        VatRegime::ReverseCharge
    );
    assert_eq!(
        line(
            quote(&estimate, Operator::Ores, Scope::Connections),
            "E-BAND"
        )
        .vat_regime,
        VatRegime::Standard
    );
}

#[test]
fn v_2_4_v_3_2_v_4_2_social_project_pays_only_the_surcharge() {
    // SWL project, 200 m, 3 candelabras, 1,234.56 € of special demands:
    //   dossier 0 (V-3.2), servicing 0 (V-4.2), surcharge 1,234.56 + 21% 259.26 = 1,493.82;
    //   public lighting works and materials on a separate offer (V-4.3).
    for promoter in [SocialPromoter::Swl, SocialPromoter::PublicHousingCompany] {
        let servicing = ServicingCase {
            social_promoter: Some(promoter),
            special_demands_surcharge: money("1234.56"),
            candelabras: 3,
            ..division("200", 8)
        };
        let estimate = run(&with_servicing(servicing));
        let quote = servicing_quote(&estimate);
        assert_eq!(line(quote, "V-DOSSIER").amount_excl_vat, Money::ZERO);
        assert_eq!(line(quote, "V-DOSSIER").rule, "V-3.2");
        assert_eq!(line(quote, "V-FRONTAGE").amount_excl_vat, Money::ZERO);
        assert_eq!(line(quote, "V-FRONTAGE").rule, "V-4.2");
        assert_eq!(line(quote, "V-SURCHARGE").amount_excl_vat, money("1234.56"));
        assert!(!has_line(quote, "V-EP"));
        assert_eq!(quote.subtotal_excl_vat, money("1234.56"));
        assert_eq!(quote.total_incl_vat, money("1493.82"));
        assert!(
            estimate
                .separately_quoted
                .iter()
                .any(|s| s.code == "V-X-EP-SOCIAL" && s.rule == "V-4.3")
        );
        assert!(has_mention(&estimate, "V-2.4"));
    }
}

#[test]
fn v_3_1_dossier_fee_once_per_applicant_per_land() {
    // 10 lots then 20 lots by the same applicant on the same land: the fee only once.
    let opened = [("applicant-1", "land-A")];
    assert!(!dossier_fee_due("applicant-1", "land-A", &opened));
    assert!(dossier_fee_due("applicant-2", "land-A", &opened));
    assert!(dossier_fee_due("applicant-1", "land-B", &opened));

    let first = run(&with_servicing(division("150", 10)));
    assert_eq!(
        line(servicing_quote(&first), "V-DOSSIER").amount_excl_vat,
        money("250.00")
    );
    assert!(has_mention(&first, "V-3.1"));
    let second = run(&with_servicing(ServicingCase {
        earlier_dossiers_by_applicant: 1,
        ..division("150", 20)
    }));
    let fee = line(servicing_quote(&second), "V-DOSSIER");
    assert_eq!(fee.amount_excl_vat, Money::ZERO);
    assert_eq!(fee.rule, "V-3.1");
    assert_eq!(fee.label_key, "tariff.line.dossier_fee_already_paid");
}

#[test]
fn v_3_1_v_6_a_dossier_fee_invoiced_at_filing_is_a_0_line_naming_its_invoice() {
    let invoice = connect_my_home::domain::servicing::DossierInvoiceRef {
        number: "DOS-2026-000007".into(),
        issued_on: date("2026-12-02"),
    };
    let estimate = run(&with_servicing(ServicingCase {
        dossier_invoice: Some(invoice),
        ..division("42.5", 4)
    }));
    let quote = servicing_quote(&estimate);
    let fee = line(quote, "V-DOSSIER");
    assert_eq!(fee.amount_excl_vat, Money::ZERO);
    assert_eq!(fee.rule, "V-3.1");
    assert_eq!(fee.label_key, "tariff.line.dossier_fee_invoiced");
    assert_eq!(fee.args["number"], "DOS-2026-000007");
    assert_eq!(fee.args["date"], "02/12/2026");
    // 42.5 m × 95.00 = 4,037.50 alone, + 21 % = 847.875 → 847.88 (V-6): the fee's 302.50 is
    // on the invoice, not here.
    assert_eq!(quote.subtotal_excl_vat, money("4037.50"));
    assert_eq!(quote.total_incl_vat, money("4885.38"));
    // ORES keeps it whatever happens to the offer: still said.
    assert!(has_mention(&estimate, "V-3.1"));
    // A social project stays free (V-3.2), invoice or not.
    let social = run(&with_servicing(ServicingCase {
        dossier_invoice: Some(connect_my_home::domain::servicing::DossierInvoiceRef {
            number: "DOS-2026-000008".into(),
            issued_on: date("2026-12-02"),
        }),
        social_promoter: Some(connect_my_home::tariff::servicing::SocialPromoter::Swl),
        ..division("42.5", 4)
    }));
    assert_eq!(line(servicing_quote(&social), "V-DOSSIER").rule, "V-3.2");
}

#[test]
fn v_4_individual_connections_are_separate_lines_and_documents() {
    let estimate = run(&EstimateCase {
        electricity: Some(ElectricityCase {
            band: "3x25".into(),
            current_band: None,
        }),
        ..with_servicing(division("40", 2))
    });
    let servicing = servicing_quote(&estimate);
    assert!(servicing.lines.iter().all(|l| l.code.starts_with("V-")));
    let connections = quote(&estimate, Operator::Ores, Scope::Connections);
    assert_eq!(
        line(connections, "E-BAND").amount_excl_vat,
        money("1450.00")
    );
    assert!(has_mention(&estimate, "V-4"));
    assert!(has_mention(&estimate, "V-4.1a"));
}

#[test]
fn v_4_1d_exclusions_are_listed_to_be_quoted_separately() {
    let servicing = ServicingCase {
        excluded: vec![
            Exclusion::OutsideHabitatZone,
            Exclusion::NonStandardCabin,
            Exclusion::NetworkMoveAfterWorks,
            Exclusion::ProvisionalOverhead,
        ],
        ..division("40", 2)
    };
    let estimate = run(&with_servicing(servicing));
    let codes: Vec<&str> = estimate
        .separately_quoted
        .iter()
        .filter(|s| s.rule == "V-4.1d")
        .map(|s| s.code)
        .collect();
    assert_eq!(
        codes,
        ["V-X-HABITAT", "V-X-CABIN", "V-X-MOVE", "V-X-OVERHEAD"]
    );
}

#[test]
fn v_4_3_public_lighting_flat_rate_excludes_materials() {
    let servicing = ServicingCase {
        candelabras: 2,
        ..division("40", 2)
    };
    let estimate = run(&with_servicing(servicing));
    let lighting = line(servicing_quote(&estimate), "V-EP");
    assert_eq!(lighting.quantity, d("2"));
    assert_eq!(lighting.amount_excl_vat, money("3300.00"));
    assert!(
        estimate
            .separately_quoted
            .iter()
            .any(|s| s.code == "V-X-EP-MATERIALS" && s.rule == "V-4.3")
    );
}

#[test]
fn v_5_the_book_in_force_on_the_request_date_applies() {
    // 2025 book: 40 m × 92.00 = 3,680.00; 2026 book: 40 m × 95.00 = 3,800.00.
    let late_2025 = EstimateCase {
        request_date: date("2025-12-31"),
        ..with_servicing(division("40", 2))
    };
    let priced = run(&late_2025);
    let frontage = line(servicing_quote(&priced), "V-FRONTAGE");
    assert_eq!(frontage.amount_excl_vat, money("3680.00"));
    assert_eq!(frontage.book_version, "ORES-2025-demo.1");
    let early_2026 = EstimateCase {
        request_date: date("2026-01-01"),
        ..late_2025.clone()
    };
    let frontage = line(servicing_quote(&run(&early_2026)), "V-FRONTAGE").clone();
    assert_eq!(frontage.amount_excl_vat, money("3800.00"));
    assert_eq!(frontage.book_version, "ORES-2026-demo.1");

    // Before any book, and after the last one: a clear refusal, no panic.
    for day in ["2019-06-01", "2028-01-03"] {
        let error = estimate(
            tariffs(),
            &EstimateCase {
                request_date: date(day),
                ..late_2025.clone()
            },
        )
        .unwrap_err();
        assert!(
            matches!(error, TariffError::NoBookInForce { .. }),
            "{error}"
        );
        assert!(error.to_string().contains(day), "{error}");
    }
}

/// A new house asking for every connection but gas on `day`: ORES 3x25, SWDE 8 m to the main
/// and 1 m inside the parcel, Proximus and VOO.
fn standard_house(day: &str) -> EstimateCase {
    EstimateCase {
        electricity: Some(ElectricityCase {
            band: "3x25".into(),
            current_band: None,
        }),
        water: Some(water("8", "1")),
        proximus: true,
        voo: true,
        ..EstimateCase::new(date(day))
    }
}

#[test]
fn v_5_every_operator_has_a_2027_book_from_the_first_to_the_last_day_of_2027() {
    // The 2027 books (tariffs/*-2027.toml), a new house, VAT 21%:
    //   ORES 3x25: 1,495.00 + VAT 313.95 = 1,808.95;
    //   SWDE 8 + 1 = 9 m, within the 10 m included: registration 51.50 + parts 494.00
    //     + labour 454.00 + markup 25% × 948.00 = 237.00 → 1,236.50 + VAT 259.665 → 259.67
    //     = 1,496.17;
    //   Proximus, VOO: 0.00 (C-5) → total 3,305.12.
    for day in ["2027-01-01", "2027-06-30", "2027-12-31"] {
        let estimate = run(&standard_house(day));
        let versions: Vec<&str> = estimate.books.iter().map(|b| b.version.as_str()).collect();
        assert_eq!(
            versions,
            [
                "ORES-2027-demo.1",
                "SWDE-2027-demo.1",
                "PROXIMUS-2027-demo.1",
                "VOO-2027-demo.1"
            ],
            "{day}"
        );
        assert!(estimate.illustrative);
        assert_eq!(estimate.mentions[0].key, "tariff.mention.illustrative");
        for book in &estimate.books {
            assert_eq!(book.valid_from, date("2027-01-01"));
            assert_eq!(book.valid_until, date("2027-12-31"));
        }

        let ores = quote(&estimate, Operator::Ores, Scope::Connections);
        let band = line(ores, "E-BAND");
        assert_eq!(band.amount_excl_vat, money("1495.00"));
        assert_eq!(band.book_version, "ORES-2027-demo.1");
        assert_eq!(ores.vat_total, money("313.95"));
        assert_eq!(ores.total_incl_vat, money("1808.95"));

        let swde = water_quote(&estimate);
        assert_eq!(line(swde, "B-REGISTRATION").amount_excl_vat, money("51.50"));
        assert_eq!(line(swde, "B-PARTS").amount_excl_vat, money("494.00"));
        assert_eq!(line(swde, "B-LABOUR").amount_excl_vat, money("454.00"));
        assert!(!has_line(swde, "B-PARTS-M"));
        let markup = line(swde, "B-MARKUP");
        assert_eq!(markup.quantity, d("948.00"));
        assert_eq!(markup.amount_excl_vat, money("237.00"));
        assert_eq!(swde.subtotal_excl_vat, money("1236.50"));
        assert_eq!(swde.vat_total, money("259.67"));
        assert_eq!(swde.total_incl_vat, money("1496.17"));

        for operator in [Operator::Proximus, Operator::Voo] {
            let telecom = quote(&estimate, operator, Scope::Connections);
            let standard = line(telecom, "T-STANDARD");
            assert_eq!(standard.amount_excl_vat, Money::ZERO);
            assert_eq!(standard.rule, "C-5");
            assert_eq!(telecom.total_incl_vat, Money::ZERO);
        }
        assert_eq!(estimate.total_incl_vat, money("3305.12"), "{day}");
    }
    // The day before, 2026 still prices: 3x25 at 1,450.00.
    let estimate = run(&standard_house("2026-12-31"));
    let band = line(
        quote(&estimate, Operator::Ores, Scope::Connections),
        "E-BAND",
    );
    assert_eq!(band.amount_excl_vat, money("1450.00"));
    assert_eq!(band.book_version, "ORES-2026-demo.1");
}

#[test]
fn b_5_2_the_2027_water_split_gives_the_standard_prices_exactly() {
    // (494 + 454) × 1.25 = 1,185.00 for the standard connection and (29 + 37) × 1.25 = 82.50
    // per metre beyond 10 m. 14 m to the main + 1.5 m inside = 15.5 m → 5.5 m extra:
    //   registration 51.50; parts 494.00; labour 454.00; parts 5.5 × 29 = 159.50;
    //   labour 5.5 × 37 = 203.50; markup 25% × 1,311.00 = 327.75 → 1,690.25 excl. VAT
    //   (= 51.50 + 1,185.00 + 5.5 × 82.50); VAT 21% 354.9525 → 354.95 → 2,045.20.
    let estimate = run(&EstimateCase {
        water: Some(water("14", "1.5")),
        ..EstimateCase::new(date("2027-06-30"))
    });
    let quote = water_quote(&estimate);
    assert_eq!(line(quote, "B-PARTS-M").amount_excl_vat, money("159.50"));
    assert_eq!(line(quote, "B-LABOUR-M").amount_excl_vat, money("203.50"));
    let markup = line(quote, "B-MARKUP");
    assert_eq!(markup.quantity, d("1311.00"));
    assert_eq!(markup.amount_excl_vat, money("327.75"));
    assert_eq!(quote.subtotal_excl_vat, money("1690.25"));
    assert_eq!(quote.vat_total, money("354.95"));
    assert_eq!(quote.total_incl_vat, money("2045.20"));
    assert!(
        quote
            .lines
            .iter()
            .all(|l| l.book_version == "SWDE-2027-demo.1")
    );
}

#[test]
fn v_5_the_day_after_the_last_book_is_refused_naming_that_book() {
    // Each operator alone on 1 January 2028.
    let alone = EstimateCase::new(date("2028-01-01"));
    let cases = [
        (
            "ores",
            "ORES-2027-demo.1",
            EstimateCase {
                electricity: Some(ElectricityCase {
                    band: "3x25".into(),
                    current_band: None,
                }),
                ..alone.clone()
            },
        ),
        (
            "swde",
            "SWDE-2027-demo.1",
            EstimateCase {
                water: Some(water("8", "1")),
                ..alone.clone()
            },
        ),
        (
            "proximus",
            "PROXIMUS-2027-demo.1",
            EstimateCase {
                proximus: true,
                ..alone.clone()
            },
        ),
        (
            "voo",
            "VOO-2027-demo.1",
            EstimateCase {
                voo: true,
                ..alone.clone()
            },
        ),
    ];
    for (operator, last, case) in cases {
        let message = estimate(tariffs(), &case).unwrap_err().to_string();
        assert!(
            message.starts_with(&format!(
                "no {operator} tariff book is in force on 2028-01-01: the last book, {last}, \
                 ended on 2027-12-31 and no later book exists yet (books cover: "
            )),
            "{message}"
        );
        assert!(message.ends_with("(rule V-5)"), "{message}");
    }
    // The whole message, for ORES.
    let error = estimate(tariffs(), &standard_house("2028-01-03")).unwrap_err();
    assert!(
        matches!(error, TariffError::NoBookInForce { .. }),
        "{error}"
    );
    assert_eq!(
        error.to_string(),
        "no ores tariff book is in force on 2028-01-03: the last book, ORES-2027-demo.1, ended \
         on 2027-12-31 and no later book exists yet (books cover: ORES-2025-demo.1 \
         2025-01-01..2025-12-31, ORES-2026-demo.1 2026-01-01..2026-12-31, ORES-2027-demo.1 \
         2027-01-01..2027-12-31) (rule V-5)"
    );
    // Before the first book, the first one is named instead.
    let message = estimate(tariffs(), &standard_house("2024-12-31"))
        .unwrap_err()
        .to_string();
    assert!(
        message.contains(": the first book, ORES-2025-demo.1, starts on 2025-01-01 ("),
        "{message}"
    );
}

#[test]
fn v_9_2_land_prices_y_exist_for_2027() {
    // The notary barometer of the first half of 2023, carried forward to 2027.
    let prices = &tariffs().land_prices;
    assert_eq!(prices.price(2027, None).unwrap().per_m2, d("128"));
    // Mons (Hainaut) in 2027, S = 36 m², PFext = 30, PFint = 4 lots, Y = 144:
    //   canon = 36 × 144 × 30 / 34 = 4,574.1176… → 4,574.12, paid by ORES;
    //   dossier fee 257.50 + 86 m × 98.00 = 8,428.00 → 8,685.50 at 21% → VAT 1,823.955
    //   → 1,823.96; 8,685.50 + 1,823.96 − 4,574.12 = 5,935.34.
    let servicing = ServicingCase {
        cabin: Some(CabinCase {
            kind: CabinKind::Standard,
            surface_m2: None,
            existing_points_outside: 30,
        }),
        ..division("86", 4)
    };
    let estimate = run(&EstimateCase {
        postcode: Some("7000".into()),
        servicing: Some(servicing),
        ..EstimateCase::new(date("2027-03-01"))
    });
    let quote = servicing_quote(&estimate);
    assert_eq!(quote.book.version, "ORES-2027-demo.1");
    let lease = line(quote, "V-LEASE");
    assert_eq!(lease.args["y"], "144");
    assert_eq!(lease.args["y_basis"], "province Hainaut");
    assert_eq!(lease.amount_excl_vat, money("-4574.12"));
    assert_eq!(line(quote, "V-DOSSIER").amount_excl_vat, money("257.50"));
    assert_eq!(line(quote, "V-FRONTAGE").amount_excl_vat, money("8428.00"));
    assert_eq!(quote.vat_total, money("1823.96"));
    assert_eq!(quote.total_incl_vat, money("5935.34"));
}

#[test]
fn v_6_dossier_fee_is_always_at_21_percent() {
    for status in [VatStatus::Private, VatStatus::VatFiler, VatStatus::Exempt] {
        let estimate = run(&EstimateCase {
            applicant_vat: status,
            ..with_servicing(ServicingCase {
                t5387_conditions_met: true,
                ..division("40", 2)
            })
        });
        let fee = line(servicing_quote(&estimate), "V-DOSSIER");
        assert_eq!(fee.vat_regime, VatRegime::Standard);
        assert_eq!(fee.vat_amount, money("52.50"));
    }
}

#[test]
fn v_6_grouped_housing_network_is_reverse_charged_for_a_vat_filer() {
    let grouped = ServicingCase {
        operation: Operation::GroupedHousing,
        frontage_m: m("20"),
        parcels: 4,
        ..ServicingCase::default()
    };
    let filer = run(&EstimateCase {
        applicant_vat: VatStatus::VatFiler,
        ..with_servicing(grouped.clone())
    });
    let frontage = line(servicing_quote(&filer), "V-FRONTAGE");
    assert_eq!(frontage.vat_regime, VatRegime::ReverseCharge);
    assert_eq!(frontage.vat_amount, Money::ZERO);
    assert!(
        filer
            .mentions
            .iter()
            .any(|m| m.key == "tariff.mention.vat_reverse_charge")
    );
    let private = run(&with_servicing(grouped));
    assert_eq!(
        line(servicing_quote(&private), "V-FRONTAGE").vat_regime,
        VatRegime::Standard
    );
}

#[test]
fn v_7_servicing_without_request_is_invoiced_without_offer() {
    let estimate = run(&with_servicing(ServicingCase {
        without_request: true,
        ..division("40", 2)
    }));
    assert_eq!(servicing_quote(&estimate).document, DocumentKind::Invoice);
    assert!(has_mention(&estimate, "V-7"));
    // V-8 does not apply: no offer, no validity, no per-phase offer mention.
    assert_eq!(estimate.offer_valid_until, None);
    assert!(!has_mention(&estimate, "V-8.1"));
}

#[test]
fn v_8_each_phase_gets_its_own_offer() {
    let estimate = run(&with_servicing(ServicingCase {
        phase: Some(2),
        ..division("40", 2)
    }));
    assert_eq!(
        line(servicing_quote(&estimate), "V-FRONTAGE").args["phase"],
        "2"
    );
    assert!(has_mention(&estimate, "V-8"));
}

#[test]
fn v_8_1_offers_are_valid_six_months() {
    let estimate = run(&EstimateCase {
        offer_date: Some(date("2026-08-31")),
        ..with_servicing(division("40", 2))
    });
    assert_eq!(estimate.offer_valid_until, Some(date("2027-02-28")));
    assert!(has_mention(&estimate, "V-8.1"));
}

#[test]
fn v_8_2_1_v_8_2_2_v_8_4_v_8_5_v_9_1_1_v_9_1_2_conditions_are_on_the_offer() {
    let estimate = run(&with_servicing(division("40", 2)));
    for rule in ["V-8.2.1", "V-8.2.2", "V-8.4", "V-8.5", "V-9.1.1", "V-9.1.2"] {
        assert!(has_mention(&estimate, rule), "{rule}");
    }
}

#[test]
fn v_8_3_a_modification_is_priced_with_the_books_of_its_date() {
    // Offer in December 2025 (92.00 €/m), modified in February 2026 (95.00 €/m):
    // 40 m → 3,800.00 with the 2026 book.
    let estimate = run(&EstimateCase {
        request_date: date("2025-12-10"),
        modification_date: Some(date("2026-02-10")),
        ..with_servicing(division("40", 2))
    });
    assert_eq!(estimate.tariff_date, date("2026-02-10"));
    let frontage = line(servicing_quote(&estimate), "V-FRONTAGE");
    assert_eq!(frontage.amount_excl_vat, money("3800.00"));
    assert_eq!(frontage.book_version, "ORES-2026-demo.1");
    assert!(has_mention(&estimate, "V-8.3"));
}

#[test]
fn v_8_6_land_under_overhead_lines_adds_six_months() {
    let estimate = run(&with_servicing(ServicingCase {
        under_overhead_lines: true,
        ..division("40", 2)
    }));
    assert!(has_mention(&estimate, "V-8.6"));
}

#[test]
fn v_9_2_one_cabin_per_50_supply_points() {
    assert_eq!(cabins_for(0), 0);
    assert_eq!(cabins_for(1), 1);
    assert_eq!(cabins_for(50), 1);
    assert_eq!(cabins_for(51), 2);
    assert_eq!(cabins_for(101), 3);
}

#[test]
fn v_9_2_worked_example_cabin_lease_fee_in_hainaut() {
    // Mons (Hainaut, Y = 144 €/m² for 2026), S = 36 m², PFext = 30, PFint = 4 lots:
    //   canon = 36 × 144 × 30 / (30 + 4) = 155,520 / 34 = 4,574.1176… → 4,574.12, paid by ORES.
    let servicing = ServicingCase {
        cabin: Some(CabinCase {
            kind: CabinKind::Standard,
            surface_m2: None,
            existing_points_outside: 30,
        }),
        ..division("86", 4)
    };
    let estimate = run(&EstimateCase {
        postcode: Some("7000".into()),
        ..with_servicing(servicing.clone())
    });
    let quote = servicing_quote(&estimate);
    assert_eq!(line(quote, "V-CABIN").quantity, d("1"));
    let lease = line(quote, "V-LEASE");
    assert_eq!(lease.kind, LineKind::Credit);
    assert_eq!(lease.amount_excl_vat, money("-4574.12"));
    assert_eq!(lease.vat_regime, VatRegime::NotSubject);
    assert_eq!(lease.args["y"], "144");
    assert_eq!(lease.args["y_basis"], "province Hainaut");
    // 250 + 8,170 at 21% = 8,420.00 + 1,768.20; minus 4,574.12 → 5,614.08.
    assert_eq!(quote.total_incl_vat, money("5614.08"));

    // The surface is capped at 36 m²: 48 m² asked gives the same fee.
    let mut larger = servicing.clone();
    larger.cabin.as_mut().unwrap().surface_m2 = Some(d("48"));
    let estimate = run(&EstimateCase {
        postcode: Some("7000".into()),
        ..with_servicing(larger)
    });
    assert_eq!(
        line(servicing_quote(&estimate), "V-LEASE").amount_excl_vat,
        money("-4574.12")
    );

    // Without a postcode, the Wallonia figure (128): 36 × 128 × 30 / 34 = 4,065.88.
    let estimate = run(&with_servicing(servicing));
    assert_eq!(
        line(servicing_quote(&estimate), "V-LEASE").amount_excl_vat,
        money("-4065.88")
    );
}

#[test]
fn v_9_2_indoor_local_uses_625_per_m2_and_no_cap() {
    // 3.3 × 3 = 9.9 m² × 625 × 10 / (10 + 2) = 61,875 / 12 = 5,156.25.
    assert_eq!(
        cabin_lease_fee(d("9.9"), d("625"), 10, 2).unwrap(),
        money("5156.25")
    );
    let servicing = ServicingCase {
        operation: Operation::GroupedHousing,
        frontage_m: m("12"),
        parcels: 2,
        cabin: Some(CabinCase {
            kind: CabinKind::IndoorLocal,
            surface_m2: None,
            existing_points_outside: 10,
        }),
        ..ServicingCase::default()
    };
    let estimate = run(&with_servicing(servicing));
    let lease = line(servicing_quote(&estimate), "V-LEASE");
    assert_eq!(lease.amount_excl_vat, money("-5156.25"));
    assert_eq!(lease.label_key, "tariff.line.indoor_local_lease_credit");
}

#[test]
fn v_9_2_bad_cabin_inputs_are_refused() {
    assert_eq!(
        cabin_lease_fee(d("36"), d("144"), 0, 0),
        Err(TariffError::NoSupplyPoints)
    );
    let servicing = ServicingCase {
        supply_points: Some(0),
        cabin: Some(CabinCase::default()),
        ..division("40", 2)
    };
    let error = estimate(tariffs(), &with_servicing(servicing)).unwrap_err();
    assert_eq!(error, TariffError::NoSupplyPoints);
    // No land price for the offer year.
    let servicing = ServicingCase {
        cabin: Some(CabinCase {
            existing_points_outside: 5,
            ..CabinCase::default()
        }),
        ..division("40", 2)
    };
    let error = estimate(
        tariffs(),
        &EstimateCase {
            offer_date: Some(date("2031-01-15")),
            ..with_servicing(servicing)
        },
    )
    .unwrap_err();
    assert!(
        matches!(error, TariffError::UnknownTariffYear { year: 2031, .. }),
        "{error}"
    );
}

// ---------------------------------------------------------------- water (B-rules)

#[test]
fn b_5_2_worked_example_quote_elements() {
    // 14 m to the main + 1.5 m inside = 15.5 m; 10 m included → 5.5 m extra:
    //   registration 50.00; parts 480.00; labour 440.00; parts 5.5 × 28 = 154.00;
    //   labour 5.5 × 36 = 198.00; markup 25% × 1,272.00 = 318.00 → 1,640.00 excl. VAT;
    //   VAT 21% 344.40 → 1,984.40.
    let estimate = run(&with_water(water("14", "1.5")));
    let quote = water_quote(&estimate);
    assert_eq!(
        line(quote, "B-REGISTRATION").amount_excl_vat,
        money("50.00")
    );
    assert_eq!(line(quote, "B-PARTS").amount_excl_vat, money("480.00"));
    assert_eq!(line(quote, "B-LABOUR").amount_excl_vat, money("440.00"));
    assert_eq!(line(quote, "B-PARTS-M").amount_excl_vat, money("154.00"));
    assert_eq!(line(quote, "B-LABOUR-M").amount_excl_vat, money("198.00"));
    let markup = line(quote, "B-MARKUP");
    assert_eq!(markup.quantity, d("1272.00"));
    assert_eq!(markup.unit, Unit::Euro);
    assert_eq!(markup.amount_excl_vat, money("318.00"));
    assert_eq!(quote.subtotal_excl_vat, money("1640.00"));
    assert_eq!(quote.vat_total, money("344.40"));
    assert_eq!(quote.total_incl_vat, money("1984.40"));
    assert!(has_mention(&estimate, "B-5.2"));
}

#[test]
fn b_4_2_b_11_beyond_50_m_an_extension_is_quoted_with_the_connection() {
    // 50 m: admissible as is.
    let at_limit = run(&with_water(water("50", "1")));
    assert!(!has_line(water_quote(&at_limit), "B-EXTENSION"));
    // 60 m for a new house: the main is extended 60 m (B-11), subsidised 100 €/m:
    //   registration 50 + standard (480 + 440) × 1.25 = 1,150 + extension 60 × 210 = 12,600
    //   → 13,800.00 + VAT 2,898.00 − subsidy 6,000.00 = 10,698.00.
    let beyond = run(&with_water(water("60", "1")));
    let quote = water_quote(&beyond);
    let extension = line(quote, "B-EXTENSION");
    assert_eq!(extension.rule, "B-11");
    assert_eq!(extension.quantity, d("60"));
    assert_eq!(extension.amount_excl_vat, money("12600.00"));
    let subsidy = line(quote, "B-EXTENSION-SUBSIDY");
    assert_eq!(subsidy.kind, LineKind::Subsidy);
    assert_eq!(subsidy.amount_excl_vat, money("-6000.00"));
    assert_eq!(quote.vat_total, money("2898.00"));
    assert_eq!(quote.total_incl_vat, money("10698.00"));
    assert!(has_mention(&beyond, "B-4.2"));

    // No subsidy for an existing dwelling.
    let existing = run(&EstimateCase {
        dwelling_age_years: Some(4),
        ..with_water(water("60", "1"))
    });
    assert!(!has_line(water_quote(&existing), "B-EXTENSION-SUBSIDY"));

    // An extension that leaves the parcel more than 50 m away is refused in writing.
    let short = run(&with_water(WaterCase {
        extension_m: Some(m("5")),
        ..water("70", "1")
    }));
    assert_eq!(short.refusals.len(), 1);
    assert_eq!(short.refusals[0].rule, "B-4.2");
    assert_eq!(short.refusals[0].args["metres"], "65");
}

#[test]
fn b_5_1_at_most_2_m_inside_the_parcel() {
    assert!(run(&with_water(water("8", "2"))).refusals.is_empty());
    let refused = run(&with_water(water("8", "2.01")));
    assert_eq!(refused.refusals[0].rule, "B-5.1");
    assert_eq!(
        refused.refusals[0].reason_key,
        "tariff.refusal.water_inside_parcel"
    );
    assert!(refused.quotes.is_empty());
    assert!(has_mention(&refused, "B-4.4"));
    assert!(has_mention(&run(&with_water(water("8", "2"))), "B-5.1"));
}

#[test]
fn b_4_3_one_connection_per_parcel_unless_granted() {
    let asked = WaterCase {
        connections: 2,
        ..water("8", "1")
    };
    let refused = run(&with_water(asked.clone()));
    assert_eq!(refused.refusals[0].rule, "B-4.3");
    let granted = run(&with_water(WaterCase {
        extra_connections_granted: true,
        ..asked
    }));
    assert_eq!(line(water_quote(&granted), "B-PARTS").quantity, d("2"));
}

#[test]
fn b_4_4_every_refusal_carries_its_written_reasons() {
    let refused = run(&with_water(WaterCase {
        connections: 3,
        ..water("8", "4")
    }));
    let rules: Vec<&str> = refused.refusals.iter().map(|r| r.rule).collect();
    assert_eq!(rules, ["B-5.1", "B-4.3"]);
    assert!(refused.refusals.iter().all(|r| !r.args.is_empty()));
    assert!(has_mention(&refused, "B-4.4"));
}

#[test]
fn b_4_1_registration_fee_and_exempt_applicant() {
    // Exempt (with proof): no VAT on the water lines, 1,640.00 due in the example above.
    let estimate = run(&EstimateCase {
        applicant_vat: VatStatus::Exempt,
        ..with_water(water("14", "1.5"))
    });
    let quote = water_quote(&estimate);
    assert_eq!(line(quote, "B-REGISTRATION").rule, "B-4.1");
    assert!(
        quote
            .lines
            .iter()
            .all(|l| l.vat_regime == VatRegime::Exempt)
    );
    assert_eq!(quote.total_incl_vat, money("1640.00"));
    assert!(
        estimate
            .mentions
            .iter()
            .any(|m| m.key == "tariff.mention.water_exemption_proof" && m.rule == Some("B-4.1"))
    );
}

#[test]
fn b_5_4_b_5_5_payment_before_works_and_works_within_a_month() {
    let estimate = run(&with_water(water("8", "1")));
    assert!(has_mention(&estimate, "B-5.4"));
    assert!(has_mention(&estimate, "B-5.5"));
}

#[test]
fn b_8_a_modification_pays_the_extra_cost_over_a_first_connection() {
    // A route of 14 + 1.5 m: 5.5 m beyond the 10 m a first connection includes.
    let modification = run(&with_water(WaterCase {
        work: WaterWork::Modification,
        ..water("14", "1.5")
    }));
    let quote = water_quote(&modification);
    // 50.00 registration + 5.5 m × (28.00 + 36.00) = 352.00 + 25% overhead 88.00 = 490.00;
    // 21%: 102.90. The standard parts and labour a first connection pays are not billed again.
    assert_eq!(quote.total_incl_vat, money("592.90"));
    assert!(
        !quote
            .lines
            .iter()
            .any(|l| l.code == "B-PARTS" || l.code == "B-LABOUR")
    );
    assert!(has_mention(&modification, "B-8"));
    let first = run(&with_water(water("14", "1.5")));
    // 50.00 + 480.00 + 440.00 + 352.00 + 25% of 1,272.00 = 1,640.00; 21%: 1,984.40.
    assert_eq!(water_quote(&first).total_incl_vat, money("1984.40"));
}

#[test]
fn b_9_without_water_billed_for_24_months_the_renewal_is_priced_as_a_first_connection() {
    let estimate = run(&with_water(WaterCase {
        work: WaterWork::Renewal,
        unbilled_24_months: true,
        ..water("14", "1.5")
    }));
    let quote = water_quote(&estimate);
    assert_eq!(quote.total_incl_vat, money("1984.40"));
    assert!(!quote.lines.iter().any(|l| l.code == "B-RENEWAL"));
    assert!(
        estimate
            .mentions
            .iter()
            .any(|m| m.key == "tariff.mention.water_renewal_unbilled")
    );
}

#[test]
fn b_9_renewal_is_at_the_operator_s_cost() {
    let estimate = run(&with_water(WaterCase {
        work: WaterWork::Renewal,
        ..water("14", "1.5")
    }));
    let quote = water_quote(&estimate);
    assert_eq!(line(quote, "B-RENEWAL").rule, "B-9");
    assert_eq!(quote.total_incl_vat, Money::ZERO);
    assert!(has_mention(&estimate, "B-9"));
}

fn holder(name: &str, cost: &str, months: u32) -> EarlierHolder {
    EarlierHolder {
        holder: name.into(),
        parcel: format!("parcel of {name}"),
        section_cost: money(cost),
        months_since_payment: months,
        paid_on: None,
    }
}

#[test]
fn b_10_worked_example_third_connection_t_14_t_prime_5() {
    // 3rd connection (k = 3) on a chain of two sections:
    //   holder 1, C = 12,000.00, t = 14: 12,000 / 3 × (60 − 14) / 60 = 552,000 / 180
    //     = 3,066.666… → 3,066.67
    //   holder 2, C' = 8,000.00, t' = 5: 8,000 / 2 × (60 − 5) / 60 = 440,000 / 120
    //     = 3,666.666… → 3,666.67
    let holders = vec![
        holder("A. Dupont", "12000.00", 14),
        holder("B. Lambert", "8000.00", 5),
    ];
    let parts = quote_parts(&holders).unwrap();
    assert_eq!(parts[0].amount, money("3066.67"));
    assert_eq!(parts[0].holder, "A. Dupont");
    assert_eq!(parts[1].amount, money("3666.67"));
    assert_eq!(parts[1].holder, "B. Lambert");

    let estimate = run(&with_water(WaterCase {
        earlier_holders: holders,
        ..water("14", "1.5")
    }));
    let shares: Vec<&QuoteLine> = water_quote(&estimate)
        .lines
        .iter()
        .filter(|l| l.code == "B-QUOTE-PART")
        .collect();
    assert_eq!(shares.len(), 2);
    assert_eq!(shares[0].payee.as_deref(), Some("A. Dupont"));
    assert_eq!(shares[0].rule, "B-10");
    assert_eq!(shares[0].kind, LineKind::ThirdParty);
    assert_eq!(shares[0].vat_regime, VatRegime::NotSubject);
    assert_eq!(shares[1].amount_excl_vat, money("3666.67"));
    // Connection 1,984.40 (see B-5.2) + 6,733.34 of quote-parts = 8,717.74.
    assert_eq!(water_quote(&estimate).total_incl_vat, money("8717.74"));
}

#[test]
fn b_10_second_connection_and_the_60_month_limit() {
    // 2nd applicant: C/2 × (60 − t)/60: 9,000 / 2 × 36/60 = 2,700.00 at t = 24.
    let parts = quote_parts(&[holder("A", "9000.00", 24)]).unwrap();
    assert_eq!(parts[0].amount, money("2700.00"));
    for months in [60, 61, 120] {
        assert_eq!(
            quote_parts(&[holder("A", "9000.00", months)]).unwrap()[0].amount,
            Money::ZERO
        );
    }
    // A later section cannot be older than the one before it (t' ≤ t).
    let error = quote_parts(&[holder("A", "1000.00", 5), holder("B", "1000.00", 14)]).unwrap_err();
    assert!(error.to_string().contains("B-10"), "{error}");
}

// ---------------------------------------------------------------- connections, C-rules, VAT

#[test]
fn electricity_bands_power_increase_and_per_dwelling_rate() {
    let band = |code: &str, current: Option<&str>| {
        run(&EstimateCase {
            electricity: Some(ElectricityCase {
                band: code.into(),
                current_band: current.map(Into::into),
            }),
            ..case()
        })
    };
    let connections = |e: &Estimate| quote(e, Operator::Ores, Scope::Connections).clone();
    assert_eq!(
        line(&connections(&band("1x40", None)), "E-BAND").amount_excl_vat,
        money("1050.00")
    );
    // Power increase 1x40 → 3x25: 1,450 − 1,050 = 400.00.
    assert_eq!(
        line(&connections(&band("3x25", Some("1x40"))), "E-INCREASE").amount_excl_vat,
        money("400.00")
    );
    let error = estimate(
        tariffs(),
        &EstimateCase {
            electricity: Some(ElectricityCase {
                band: "1x40".into(),
                current_band: Some("3x25".into()),
            }),
            ..case()
        },
    )
    .unwrap_err();
    assert!(
        matches!(error, TariffError::NotAPowerIncrease { .. }),
        "{error}"
    );
    let error = estimate(
        tariffs(),
        &EstimateCase {
            electricity: Some(ElectricityCase {
                band: "2x40".into(),
                current_band: None,
            }),
            ..case()
        },
    )
    .unwrap_err();
    assert_eq!(error, TariffError::UnknownBand("2x40".into()));
    // A building of 3 dwellings: 3 × 1,150.00.
    let building = run(&EstimateCase {
        building: BuildingKind::Building,
        dwellings: 3,
        electricity: Some(ElectricityCase {
            band: "1x40".into(),
            current_band: None,
        }),
        ..case()
    });
    let flat = line(
        quote(&building, Operator::Ores, Scope::Connections),
        "E-DWELLING",
    );
    assert_eq!(flat.quantity, d("3"));
    assert_eq!(flat.amount_excl_vat, money("3450.00"));
}

#[test]
fn gas_standard_is_free_in_a_new_dwelling_and_extra_metres_are_priced() {
    let gas = |age: Option<u32>| {
        run(&EstimateCase {
            dwelling_age_years: age,
            gas: Some(GasCase {
                extra_metres: m("7.5"),
            }),
            ..case()
        })
    };
    let new = gas(None);
    let quote_new = quote(&new, Operator::Ores, Scope::Connections);
    assert_eq!(line(quote_new, "G-STANDARD").amount_excl_vat, Money::ZERO);
    // 7.5 m × 60.00 = 450.00.
    assert_eq!(line(quote_new, "G-METRES").amount_excl_vat, money("450.00"));
    let old = gas(Some(30));
    assert_eq!(
        line(
            quote(&old, Operator::Ores, Scope::Connections),
            "G-STANDARD"
        )
        .amount_excl_vat,
        money("850.00")
    );
}

#[test]
fn c_5_telecom_standard_connections_are_free_without_subscription() {
    let estimate = run(&EstimateCase {
        proximus: true,
        voo: true,
        ..case()
    });
    for operator in [Operator::Proximus, Operator::Voo] {
        let quote = quote(&estimate, operator, Scope::Connections);
        assert_eq!(quote.total_incl_vat, Money::ZERO);
        assert_eq!(line(quote, "T-STANDARD").rule, "C-5");
    }
    assert!(has_mention(&estimate, "C-5"));
    assert!(has_mention(&estimate, "C-4"));
}

#[test]
fn c_5_free_lines_carry_no_vat_mention() {
    // A VAT filer asking only for free telecom connections: nothing is reverse charged in fact.
    let estimate = run(&EstimateCase {
        applicant_vat: VatStatus::VatFiler,
        proximus: true,
        ..case()
    });
    assert!(
        !estimate
            .mentions
            .iter()
            .any(|m| m.key == "tariff.mention.vat_reverse_charge")
    );
}

#[test]
fn c_1_buildings_of_more_than_four_dwellings_are_refused() {
    let error = estimate(
        tariffs(),
        &EstimateCase {
            building: BuildingKind::Building,
            dwellings: 6,
            proximus: true,
            ..case()
        },
    )
    .unwrap_err();
    assert_eq!(error, TariffError::TooManyDwellings { count: 6 });
    assert!(error.to_string().contains("C-1"));
}

#[test]
fn vat_6_percent_for_dwellings_of_ten_years_with_its_mention() {
    let at = |age: u32| {
        run(&EstimateCase {
            dwelling_age_years: Some(age),
            electricity: Some(ElectricityCase {
                band: "3x25".into(),
                current_band: Some("1x40".into()),
            }),
            ..case()
        })
    };
    let old = at(10);
    let increase = line(
        quote(&old, Operator::Ores, Scope::Connections),
        "E-INCREASE",
    );
    assert_eq!(increase.vat_regime, VatRegime::Reduced);
    assert_eq!(increase.vat_amount, money("24.00"));
    assert!(
        old.mentions
            .iter()
            .any(|m| m.key == "tariff.mention.vat_reduced")
    );
    let young = at(9);
    assert_eq!(
        line(
            quote(&young, Operator::Ores, Scope::Connections),
            "E-INCREASE"
        )
        .vat_regime,
        VatRegime::Standard
    );
}

#[test]
fn bad_input_is_refused_with_a_clear_error() {
    let error = estimate_json(
        tariffs(),
        r#"{"request_date":"2026-05-01","gas":{"extra_metres":-3}}"#,
    )
    .unwrap_err();
    assert!(error.to_string().contains("negative"), "{error}");
    let error = estimate_json(tariffs(), r#"{"proximus":true}"#).unwrap_err();
    assert!(error.to_string().contains("request_date"), "{error}");
    let error = estimate(tariffs(), &case()).unwrap_err();
    assert_eq!(error, TariffError::NothingRequested);
    let error = estimate(
        tariffs(),
        &EstimateCase {
            postcode: Some("1000".into()),
            proximus: true,
            ..case()
        },
    )
    .unwrap_err();
    assert_eq!(error, TariffError::OutsideWallonia("1000".into()));
}

#[test]
fn a_minimal_form_case_deserialises_with_defaults() {
    let json = r#"{"request_date":"2026-05-01","postcode":"","water":{"distance_to_main_m":"8"},"proximus":true}"#;
    let output = estimate_json(tariffs(), json).unwrap();
    let value: serde_json::Value = serde_json::from_str(&output).unwrap();
    assert_eq!(value["illustrative"], true);
    assert_eq!(value["quotes"][0]["operator"], "swde");
    assert_eq!(value["quotes"][0]["lines"][0]["amount_excl_vat"], "50.00");
}

#[test]
fn shipped_example_case_prices_as_computed_by_hand() {
    // ORES: 3x25 1,450.00 + gas 0 + 4 m × 60 = 240.00 → 1,690.00 + 354.90 = 2,044.90;
    // SWDE: 8,717.74 (see B-10); telecom 0 → 10,762.64.
    let text = include_str!("../docs/examples/estimate-case.json");
    let case: EstimateCase = serde_json::from_str(text).unwrap();
    let estimate = run(&case);
    assert_eq!(estimate.total_incl_vat, money("10762.64"));
    assert_eq!(estimate.commune.as_deref(), Some("Namur"));
    let servicing: EstimateCase =
        serde_json::from_str(include_str!("../docs/examples/servicing-case.json")).unwrap();
    assert!(estimate_json(tariffs(), &serde_json::to_string(&servicing).unwrap()).is_ok());
}

#[test]
fn shipped_2027_example_case_prices_as_computed_by_hand() {
    // The same case on 31 December 2027, with the 2027 books:
    //   ORES: 3x25 1,495.00 + gas 0 + 4 m × 62.00 = 248.00 → 1,743.00 + 366.03 = 2,109.03;
    //   SWDE: 1,690.25 + 354.95 (see the 2027 B-5.2 example) + quote-parts 3,066.67
    //     + 3,666.67 (B-10, not subject to VAT) = 8,778.54; telecom 0 → 10,887.57.
    let text = include_str!("../docs/examples/estimate-case-2027.json");
    let case: EstimateCase = serde_json::from_str(text).unwrap();
    assert_eq!(case.request_date, date("2027-12-31"));
    let estimate = run(&case);
    let ores = quote(&estimate, Operator::Ores, Scope::Connections);
    assert_eq!(ores.total_incl_vat, money("2109.03"));
    assert_eq!(water_quote(&estimate).total_incl_vat, money("8778.54"));
    assert_eq!(estimate.total_incl_vat, money("10887.57"));
    assert!(
        estimate
            .books
            .iter()
            .all(|b| b.version.ends_with("-2027-demo.1"))
    );
}

#[test]
fn every_priced_document_says_its_values_are_illustrative() {
    let estimate = run(&EstimateCase {
        proximus: true,
        ..case()
    });
    assert!(estimate.illustrative);
    assert_eq!(estimate.mentions[0].key, "tariff.mention.illustrative");
    assert!(estimate.books.iter().all(|b| b.illustrative));
}

#[test]
fn every_key_an_estimate_uses_is_in_both_catalogs() {
    let mut cases = vec![
        EstimateCase {
            applicant_vat: VatStatus::VatFiler,
            postcode: Some("7000".into()),
            electricity: Some(ElectricityCase {
                band: "3x25".into(),
                current_band: Some("1x40".into()),
            }),
            gas: Some(GasCase {
                extra_metres: m("3"),
            }),
            water: Some(WaterCase {
                pressure_installation: true,
                earlier_holders: vec![holder("A", "1000.00", 3)],
                work: WaterWork::Modification,
                ..water("70", "1")
            }),
            proximus: true,
            voo: true,
            servicing: Some(ServicingCase {
                candelabras: 2,
                cabin: Some(CabinCase {
                    existing_points_outside: 3,
                    ..CabinCase::default()
                }),
                excluded: vec![
                    Exclusion::OutsideHabitatZone,
                    Exclusion::NonStandardCabin,
                    Exclusion::NetworkMoveAfterWorks,
                    Exclusion::ProvisionalOverhead,
                ],
                under_overhead_lines: true,
                t5387_conditions_met: true,
                ..division("50", 3)
            }),
            ..case()
        },
        EstimateCase {
            applicant_vat: VatStatus::Exempt,
            dwelling_age_years: Some(40),
            building: BuildingKind::Building,
            dwellings: 2,
            electricity: Some(ElectricityCase {
                band: "1x40".into(),
                current_band: None,
            }),
            gas: Some(GasCase::default()),
            water: Some(WaterCase {
                connections: 2,
                ..water("8", "3")
            }),
            servicing: Some(ServicingCase {
                operation: Operation::Donation,
                planned_frontages_m: vec![m("10")],
                social_promoter: Some(SocialPromoter::Swl),
                special_demands_surcharge: money("10"),
                candelabras: 1,
                earlier_dossiers_by_applicant: 1,
                cabin: Some(CabinCase {
                    kind: CabinKind::IndoorLocal,
                    surface_m2: None,
                    existing_points_outside: 2,
                }),
                ..ServicingCase::default()
            }),
            ..case()
        },
    ];
    cases.push(with_water(WaterCase {
        work: WaterWork::Renewal,
        ..WaterCase::default()
    }));
    cases.push(with_water(WaterCase {
        extension_m: Some(m("1")),
        ..water("80", "1")
    }));
    cases.push(with_servicing(ServicingCase {
        without_request: true,
        earlier_dossiers_by_applicant: 1,
        ..division("10", 2)
    }));
    let mut keys: Vec<String> = Vec::new();
    for case in &cases {
        let estimate = run(case);
        for line in estimate.lines() {
            keys.push(line.label_key.to_owned());
            keys.push(format!("tariff.vat.{}", line.vat_regime.code()));
            keys.push(format!(
                "tariff.unit.{}",
                serde_json::to_value(line.unit).unwrap().as_str().unwrap()
            ));
        }
        keys.extend(estimate.mentions.iter().map(|m| m.key.to_owned()));
        keys.extend(
            estimate
                .separately_quoted
                .iter()
                .map(|s| s.label_key.to_owned()),
        );
        keys.extend(estimate.refusals.iter().map(|r| r.reason_key.to_owned()));
    }
    for key in [
        "tariff.line.dossier_fee_social",
        "tariff.line.servicing_social",
    ] {
        assert!(keys.iter().any(|k| k == key), "{key} not exercised");
    }
    for language in Language::ALL {
        let catalog = i18n::catalog(language);
        for key in &keys {
            assert!(catalog.contains_key(key), "{language}: missing {key}");
        }
    }
}

// ---------------------------------------------------------------- properties

fn metres_strategy(max_cents: i64) -> impl Strategy<Value = Metres> {
    (0..=max_cents).prop_map(|cents| Metres::new(Decimal::new(cents, 2)).unwrap())
}

fn status_strategy() -> impl Strategy<Value = VatStatus> {
    prop_oneof![
        Just(VatStatus::Private),
        Just(VatStatus::VatFiler),
        Just(VatStatus::Exempt)
    ]
}

prop_compose! {
    fn any_case()(
        status in status_strategy(),
        age in prop::option::of(0u32..60),
        frontage in metres_strategy(50_000),
        parcels in 2u32..200,
        candelabras in 0u32..12,
        t5387 in any::<bool>(),
        social in any::<bool>(),
        surcharge_cents in 0i64..500_000,
        outside in 0u32..300,
        cabin in any::<bool>(),
        with_servicing in any::<bool>(),
        distance in metres_strategy(12_000),
        inside in metres_strategy(200),
        holders in prop::collection::vec((1i64..5_000_000, 0u32..80), 0..4),
        pressure in any::<bool>(),
        gas_metres in prop::option::of(metres_strategy(5_000)),
        band in prop::option::of(prop::sample::select(vec!["1x25", "1x40", "1x63", "3x16", "3x25", "3x63"])),
        telecom in any::<bool>(),
    ) -> EstimateCase {
        let mut sorted = holders;
        // t must not increase along the chain (B-10).
        sorted.sort_by_key(|h| std::cmp::Reverse(h.1));
        EstimateCase {
            applicant_vat: status,
            dwelling_age_years: age,
            postcode: Some("5000".into()),
            electricity: band.map(|b| ElectricityCase { band: b.into(), current_band: None }),
            gas: gas_metres.map(|extra_metres| GasCase { extra_metres }),
            water: Some(WaterCase {
                pressure_installation: pressure,
                earlier_holders: sorted
                    .into_iter()
                    .enumerate()
                    .map(|(i, (cents, months))| EarlierHolder {
                        holder: format!("holder {i}"),
                        parcel: format!("parcel {i}"),
                        section_cost: Money::from_decimal(Decimal::new(cents, 2)),
                        months_since_payment: months,
                        paid_on: None,
                    })
                    .collect(),
                ..water("0", "0")
            })
            .map(|mut w| {
                w.distance_to_main_m = distance;
                w.inside_parcel_m = inside;
                w
            }),
            proximus: telecom,
            voo: telecom,
            servicing: with_servicing.then(|| ServicingCase {
                frontage_m: frontage,
                parcels,
                candelabras,
                t5387_conditions_met: t5387,
                social_promoter: social.then_some(SocialPromoter::Swl),
                special_demands_surcharge: Money::from_decimal(Decimal::new(surcharge_cents, 2)),
                cabin: cabin.then(|| CabinCase { existing_points_outside: outside, ..CabinCase::default() }),
                ..ServicingCase::default()
            }),
            ..case()
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn totals_equal_the_sum_of_lines_plus_vat(case in any_case()) {
        let estimate = run(&case);
        let mut lines_total = Money::ZERO;
        let mut vat_total = Money::ZERO;
        for quote in &estimate.quotes {
            let lines = sum(quote.lines.iter().map(|l| l.amount_excl_vat));
            let vat = sum(quote.vat_breakdown.iter().map(|r| r.vat));
            let line_vat = sum(quote.lines.iter().map(|l| l.vat_amount));
            prop_assert_eq!(quote.subtotal_excl_vat, lines);
            prop_assert_eq!(quote.vat_total, vat);
            prop_assert_eq!(line_vat, vat);
            prop_assert_eq!(quote.total_incl_vat, plus(lines, vat));
            for row in &quote.vat_breakdown {
                let base = sum(quote.lines.iter().filter(|l| l.vat_regime == row.regime).map(|l| l.amount_excl_vat));
                prop_assert_eq!(row.base, base);
                prop_assert_eq!(row.vat, Money::from_decimal(base.amount() * row.rate / Decimal::ONE_HUNDRED));
            }
            lines_total = plus(lines_total, lines);
            vat_total = plus(vat_total, vat);
        }
        prop_assert_eq!(estimate.total_excl_vat, lines_total);
        prop_assert_eq!(estimate.total_vat, vat_total);
        prop_assert_eq!(estimate.total_incl_vat, plus(lines_total, vat_total));
        let breakdown = sum(estimate.vat_breakdown.iter().map(|r| r.vat));
        prop_assert_eq!(breakdown, vat_total);
    }

    #[test]
    fn amounts_are_never_negative_except_declared_credits(case in any_case()) {
        let estimate = run(&case);
        for line in estimate.lines() {
            match line.kind {
                LineKind::Credit | LineKind::Subsidy => prop_assert!(!line.amount_excl_vat.amount().is_sign_positive() || line.amount_excl_vat.is_zero()),
                LineKind::Charge | LineKind::ThirdParty => prop_assert!(!line.amount_excl_vat.is_negative(), "{:?}", line),
            }
            prop_assert!(!line.vat_amount.is_negative() || line.amount_excl_vat.is_negative());
        }
        for quote in &estimate.quotes {
            prop_assert!(!quote.vat_total.is_negative());
        }
    }

    #[test]
    fn servicing_cost_is_monotone_in_frontage(a in metres_strategy(100_000), b in metres_strategy(100_000), status in status_strategy(), t5387 in any::<bool>()) {
        let (low, high) = if a <= b { (a, b) } else { (b, a) };
        let price = |frontage: Metres| run(&EstimateCase {
            applicant_vat: status,
            ..with_servicing(ServicingCase { frontage_m: frontage, t5387_conditions_met: t5387, ..division("0", 2) })
        }).total_incl_vat;
        prop_assert!(price(low) <= price(high));
    }

    #[test]
    fn donation_cost_is_monotone_in_each_planned_frontage(
        frontages in prop::collection::vec(metres_strategy(4_000), 1..5),
        grow in metres_strategy(4_000),
        index in 0usize..5,
    ) {
        let price = |planned: Vec<Metres>| run(&with_servicing(ServicingCase {
            operation: Operation::Donation,
            planned_frontages_m: planned,
            ..ServicingCase::default()
        })).total_incl_vat;
        let mut bigger = frontages.clone();
        let i = index % bigger.len();
        bigger[i] = Metres::new(bigger[i].value() + grow.value()).unwrap();
        prop_assert!(price(frontages) <= price(bigger));
    }

    #[test]
    fn water_cost_is_monotone_in_distance(a in metres_strategy(15_000), b in metres_strategy(15_000), inside in metres_strategy(200), status in status_strategy(), age in prop::option::of(0u32..40)) {
        let (low, high) = if a <= b { (a, b) } else { (b, a) };
        let price = |distance: Metres| run(&EstimateCase {
            applicant_vat: status,
            dwelling_age_years: age,
            ..with_water(WaterCase { distance_to_main_m: distance, inside_parcel_m: inside, ..WaterCase::default() })
        }).total_incl_vat;
        prop_assert!(price(low) <= price(high), "{} m → {}, {} m → {}", low, price(low), high, price(high));
    }

    #[test]
    fn gas_cost_is_monotone_in_extra_metres(a in metres_strategy(20_000), b in metres_strategy(20_000)) {
        let (low, high) = if a <= b { (a, b) } else { (b, a) };
        let price = |extra_metres: Metres| run(&EstimateCase { gas: Some(GasCase { extra_metres }), ..case() }).total_incl_vat;
        prop_assert!(price(low) <= price(high));
    }

    #[test]
    fn social_projects_cost_only_their_surcharge(
        frontage in metres_strategy(100_000),
        parcels in 2u32..300,
        candelabras in 0u32..20,
        surcharge_cents in 0i64..10_000_000,
        status in status_strategy(),
        earlier in 0u32..3,
    ) {
        // Whatever the frontage, lots, lighting or earlier dossiers: charges = the surcharge.
        let surcharge = Money::from_decimal(Decimal::new(surcharge_cents, 2));
        let estimate = run(&EstimateCase {
            applicant_vat: status,
            ..with_servicing(ServicingCase {
                social_promoter: Some(SocialPromoter::PublicHousingCompany),
                special_demands_surcharge: surcharge,
                candelabras,
                earlier_dossiers_by_applicant: earlier,
                frontage_m: frontage,
                ..division("0", parcels)
            })
        });
        let quote = servicing_quote(&estimate);
        let charges = sum(quote
            .lines
            .iter()
            .filter(|l| l.kind == LineKind::Charge)
            .map(|l| l.amount_excl_vat));
        prop_assert_eq!(charges, surcharge);
        prop_assert_eq!(quote.subtotal_excl_vat, surcharge);
    }

    #[test]
    fn quote_parts_vanish_from_month_60_and_never_exceed_the_section(
        chain in prop::collection::vec((0i64..100_000_000, 0u32..130), 1..6),
    ) {
        let mut chain = chain;
        chain.sort_by_key(|h| std::cmp::Reverse(h.1));
        let holders: Vec<EarlierHolder> = chain
            .iter()
            .enumerate()
            .map(|(i, (cents, months))| EarlierHolder {
                holder: format!("h{i}"),
                parcel: format!("p{i}"),
                section_cost: Money::from_decimal(Decimal::new(*cents, 2)),
                months_since_payment: *months,
                paid_on: None,
            })
            .collect();
        let parts = quote_parts(&holders).unwrap();
        prop_assert_eq!(parts.len(), holders.len());
        for (part, holder) in parts.iter().zip(&holders) {
            prop_assert!(!part.amount.is_negative());
            prop_assert!(part.amount <= holder.section_cost);
            prop_assert_eq!(&part.holder, &holder.holder);
            if holder.months_since_payment >= 60 {
                prop_assert_eq!(part.amount, Money::ZERO);
            }
        }
    }
}

// ---------------------------------------------------------------- bounds: no value can crash pricing

const BANDS: [&str; 12] = [
    "1x25", "1x32", "1x40", "1x50", "1x63", "3x16", "3x20", "3x25", "3x32", "3x40", "3x50", "3x63",
];

/// A price anywhere in the range a book accepts, its edges included, in cents.
fn price_strategy() -> impl Strategy<Value = Decimal> {
    let max = i64::from(tariff::book::MAX_PRICE_EUR) * 100;
    prop_oneof![Just(0), Just(max), 0..=max].prop_map(|cents| Decimal::new(cents, 2))
}

/// A length anywhere from 0 to `Metres::MAX`, its edges included.
fn bounded_metres() -> impl Strategy<Value = Metres> {
    let max = i64::from(Metres::MAX_WHOLE) * 100;
    prop_oneof![Just(0), Just(max), 0..=max]
        .prop_map(|cents| Metres::new(Decimal::new(cents, 2)).unwrap())
}

prop_compose! {
    /// Books of 2026 for every operator with every price drawn within the bounds.
    fn bounded_tariffs()(
        ores in prop::collection::vec(price_strategy(), 20),
        swde in prop::collection::vec(price_strategy(), 10),
        included in bounded_metres(),
        markup in 0u32..=tariff::book::MAX_MARKUP_PERCENT,
        telecom in price_strategy(),
    ) -> Tariffs {
        let bands: String = BANDS
            .iter()
            .zip(&ores[8..])
            .map(|(band, price)| format!("[[electricity.bands]]\nband = \"{band}\"\nprice = \"{price}\"\n"))
            .collect();
        let ores_book = format!(
            "[book]\noperator = \"ores\"\nversion = \"O\"\nvalid_from = 2026-01-01\nvalid_until = 2026-12-31\n\
             [servicing]\ndossier_fee = \"{}\"\nper_metre = \"{}\"\npublic_lighting_per_candelabra = \"{}\"\n\
             indoor_local_price_per_m2 = \"{}\"\n[electricity]\nper_dwelling_flat = \"{}\"\n{bands}\
             [gas]\nstandard_new_dwelling = \"{}\"\nstandard_existing_dwelling = \"{}\"\nextra_metre = \"{}\"\n",
            ores[0], ores[1], ores[2], ores[3], ores[4], ores[5], ores[6], ores[7],
        );
        // The subsidy per extension metre cannot exceed the work (a rule of the format).
        let subsidy = swde[8].min(swde[7]);
        let swde_book = format!(
            "[book]\noperator = \"swde\"\nversion = \"S\"\nvalid_from = 2026-01-01\nvalid_until = 2026-12-31\n\
             [water]\nregistration_fee = \"{}\"\nstandard_parts = \"{}\"\nstandard_labour = \"{}\"\n\
             included_metres = \"{included}\"\nextra_metre_parts = \"{}\"\nextra_metre_labour = \"{}\"\n\
             overhead_markup_percent = \"{markup}\"\nextension_per_metre = \"{}\"\n\
             extension_subsidy_per_metre = \"{subsidy}\"\npressure_installation = \"{}\"\n\
             pressure_installation_subsidy = \"{}\"\n",
            swde[0], swde[1], swde[2], swde[3], swde[4], swde[7], swde[5], swde[6],
        );
        let telecom_book = |operator: &str| format!(
            "[book]\noperator = \"{operator}\"\nversion = \"{operator}\"\nvalid_from = 2026-01-01\n\
             valid_until = 2026-12-31\n[telecom]\nstandard = \"{telecom}\"\n"
        );
        let (proximus, voo) = (telecom_book("proximus"), telecom_book("voo"));
        Tariffs {
            books: BookSet::from_texts([
                ("ores", ores_book.as_str()),
                ("swde", swde_book.as_str()),
                ("proximus", proximus.as_str()),
                ("voo", voo.as_str()),
            ])
            .expect("prices within the bounds are accepted"),
            ..tariffs().clone()
        }
    }
}

prop_compose! {
    /// A case with every quantity drawn within the bounds a case accepts, edges included.
    fn bounded_case()(
        status in status_strategy(),
        age in prop::option::of(0u32..100),
        building in prop::option::of(2u32..=4),
        band in prop::sample::select(BANDS.to_vec()),
        current in prop::option::of(prop::sample::select(BANDS.to_vec())),
        gas in prop::option::of(bounded_metres()),
        water in any::<bool>(),
        distance in bounded_metres(),
        inside in bounded_metres(),
        extension in prop::option::of(bounded_metres()),
        connections in 1u32..=20,
        pressure in any::<bool>(),
        holders in prop::collection::vec((0i64..=100_000_000, 0u32..=600), 0..=20),
        telecom in any::<bool>(),
        servicing in any::<bool>(),
        donation in any::<bool>(),
        frontage in bounded_metres(),
        planned in prop::collection::vec(bounded_metres(), 1..=20),
        parcels in prop_oneof![Just(500u32), 20u32..=500],
        candelabras in prop_oneof![Just(1_000u32), 0u32..=1_000],
        supply_points in prop::option::of(1u32..=5_000),
        social in any::<bool>(),
        surcharge in prop_oneof![Just(100_000_000i64), 0i64..=100_000_000],
        cabin in prop::option::of((any::<bool>(), prop::option::of(0i64..=50_000), 0u32..=1_000)),
    ) -> EstimateCase {
        let mut holders = holders;
        holders.sort_by_key(|h| std::cmp::Reverse(h.1));
        EstimateCase {
            applicant_vat: status,
            dwelling_age_years: age,
            building: if building.is_some() { BuildingKind::Building } else { BuildingKind::House },
            dwellings: building.unwrap_or(1),
            electricity: Some(ElectricityCase { band: band.into(), current_band: current.map(Into::into) }),
            gas: gas.map(|extra_metres| GasCase { extra_metres }),
            water: water.then(|| WaterCase {
                distance_to_main_m: distance,
                inside_parcel_m: inside,
                extension_m: extension,
                connections,
                extra_connections_granted: true,
                pressure_installation: pressure,
                earlier_holders: holders
                    .iter()
                    .enumerate()
                    .map(|(i, (cents, months))| EarlierHolder {
                        holder: format!("h{i}"),
                        parcel: format!("p{i}"),
                        section_cost: Money::from_decimal(Decimal::new(*cents, 2)),
                        months_since_payment: *months,
                        paid_on: None,
                    })
                    .collect(),
                ..WaterCase::default()
            }),
            proximus: telecom,
            voo: telecom,
            servicing: servicing.then(|| ServicingCase {
                operation: if donation { Operation::Donation } else { Operation::Division },
                frontage_m: frontage,
                planned_frontages_m: if donation { planned } else { Vec::new() },
                parcels,
                candelabras,
                supply_points,
                social_promoter: social.then_some(SocialPromoter::Swl),
                special_demands_surcharge: Money::from_decimal(Decimal::new(surcharge, 2)),
                cabin: cabin.map(|(indoor, surface, outside)| CabinCase {
                    kind: if indoor { CabinKind::IndoorLocal } else { CabinKind::Standard },
                    surface_m2: surface.map(|cents| Decimal::new(cents, 2)),
                    existing_points_outside: outside,
                }),
                ..ServicingCase::default()
            }),
            ..case()
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// Any case within its bounds, priced by any books within theirs: an estimate whose totals
    /// are the sums of its lines, or a refusal by a rule — never a panic, never an overflow.
    #[test]
    fn pricing_within_the_bounds_never_overflows_and_totals_are_the_sums(
        tariffs in bounded_tariffs(),
        case in bounded_case(),
    ) {
        let estimate = match estimate(&tariffs, &case) {
            Ok(estimate) => estimate,
            // A power "increase" to a band priced no higher is a rule's refusal, not a failure.
            Err(TariffError::NotAPowerIncrease { .. }) => return Ok(()),
            Err(other) => {
                prop_assert!(false, "refused: {other}");
                unreachable!()
            }
        };
        let mut lines_total = Money::ZERO;
        let mut vat_total = Money::ZERO;
        for quote in &estimate.quotes {
            let lines = sum(quote.lines.iter().map(|l| l.amount_excl_vat));
            let vat = sum(quote.vat_breakdown.iter().map(|r| r.vat));
            prop_assert_eq!(quote.subtotal_excl_vat, lines);
            prop_assert_eq!(quote.vat_total, vat);
            prop_assert_eq!(sum(quote.lines.iter().map(|l| l.vat_amount)), vat);
            prop_assert_eq!(quote.total_incl_vat, plus(lines, vat));
            for line in &quote.lines {
                prop_assert_eq!(
                    line.amount_excl_vat,
                    Money::from_decimal(line.quantity * line.unit_price)
                );
            }
            lines_total = plus(lines_total, lines);
            vat_total = plus(vat_total, vat);
        }
        prop_assert_eq!(estimate.total_excl_vat, lines_total);
        prop_assert_eq!(estimate.total_vat, vat_total);
        prop_assert_eq!(estimate.total_incl_vat, plus(lines_total, vat_total));
    }

    /// Just past a bound, a case is refused with the field named, whatever else it holds.
    #[test]
    fn a_quantity_past_its_bound_is_refused_with_its_field(
        case in bounded_case(),
        which in 0usize..4,
        excess in 1u32..1_000_000,
    ) {
        let mut case = case;
        // Only the bound is wrong: no power "increase" to a band priced no higher.
        if let Some(electricity) = case.electricity.as_mut() {
            electricity.current_band = None;
        }
        let field = match which {
            0 => {
                let servicing = case.servicing.get_or_insert_with(|| division("10", 2));
                servicing.candelabras = 1_000 + excess;
                "servicing.candelabras"
            }
            1 => {
                let servicing = case.servicing.get_or_insert_with(|| division("10", 2));
                servicing.special_demands_surcharge =
                    Money::from_decimal(Decimal::from(1_000_000) + Decimal::new(i64::from(excess), 2));
                servicing.social_promoter = None;
                "servicing.special_demands_surcharge"
            }
            2 => {
                let water = case.water.get_or_insert_with(WaterCase::default);
                water.connections = 20 + excess;
                "water.connections"
            }
            _ => {
                let servicing = case.servicing.get_or_insert_with(|| division("10", 2));
                servicing.operation = Operation::Division;
                servicing.parcels = 500 + excess;
                "servicing.parcels"
            }
        };
        let message = estimate(tariffs(), &case).unwrap_err().to_string();
        prop_assert!(message.starts_with(&format!("{field}: cannot be more than")), "{}", message);
    }
}
