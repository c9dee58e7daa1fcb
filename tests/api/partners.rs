//! Rule C-8: a sixth partner joins with configuration only — organisation, service,
//! coverage and offer — and a request can include it.

use connect_my_home::{app::Application, config::Config};

use crate::helpers::{marie, spawn_app_with, text_of, with};

const HEAT_NETWORK: &str = r#"
[[organisation]]
slug = "chaleur-mons"
name = "Réseau de chaleur de Mons"
kind = "operator"
service = "heat"
contact = "Réseau de chaleur de Mons, 065 00 00 00"
communes = ["53053"]

[organisation.partner]
label = { fr = "Chaleur (réseau urbain)", en = "District heating" }
skill = "heat"
hours = 6
civil_works = true
lead_time = { unit = "working_days", count = 40 }
lead_time_start = "payment"

[[organisation.partner.lines]]
code = "HEAT-STD"
label = { fr = "Raccordement au réseau de chaleur", en = "District heating connection" }
unit_price = "2499.50"
vat = "reduced"

[[organisation.partner.prerequisites]]
code = "plant_room"
label = { fr = "Local technique pour la sous-station", en = "Plant room for the substation" }
deadline = { kind = "days_before_works", days = 10 }
rule = "C-8"
"#;

#[tokio::test]
async fn c_8_a_partner_added_by_configuration_is_offered_filed_and_assessed() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("partners.toml");
    std::fs::write(&file, HEAT_NETWORK).unwrap();
    let app = spawn_app_with(|config| config.partners_file = Some(file)).await;

    let (status, form) = app.get_text("/request/new").await;
    assert_eq!(status, 200);
    assert!(form.contains(r#"name="partner" value="heat""#));
    assert!(form.contains("Chaleur (réseau urbain)"));

    // In Mons, which the partner serves, the request includes it.
    let mut fields = with(&marie(), &[("postcode", "7000")]);
    fields.push(("partner", "heat".into()));
    let (reference, _) = app.file_ok(&fields).await;
    let id = app.request_id(&reference).await;
    app.wait_state(&id, "assessed").await;
    let heat: (String, i64) = sqlx::query_as(
        "SELECT a.status, a.version FROM assessments a JOIN organisations o \
         ON o.id = a.organisation_id WHERE a.request_id = $1 AND o.slug = 'chaleur-mons'",
    )
    .bind(&id)
    .fetch_one(&app.state.db.pool)
    .await
    .unwrap();
    assert_eq!(heat, ("answered".to_owned(), 1));

    let julien = app.signed_in("julien@ores.demo").await;
    let page = text_of(&julien, app.url(&format!("/backoffice/requests/{id}"))).await;
    assert!(page.contains("Chaleur (réseau urbain) — Réseau de chaleur de Mons"));
    assert!(page.contains("Local technique pour la sous-station"));
    assert!(page.contains("Raccordement au réseau de chaleur"));
    assert!(page.contains("2\u{202f}499,50 €"));
    assert!(page.contains("10 jours avant les travaux"));
    assert!(page.contains("travaux dans les 40 jours ouvrables à compter de : le paiement"));

    // In Namur, which it does not serve, the refusal names the service and the commune.
    let mut fields = marie();
    fields.push(("partner", "heat".into()));
    let form = app.open_form().await;
    let response = app.file(&form, &fields).await;
    assert_eq!(response.status().as_u16(), 422);
    let page = response.text().await.unwrap();
    assert!(
        page.contains("Chaleur (réseau urbain) n&#39;est pas proposé dans la commune de Namur")
            || page.contains("Chaleur (réseau urbain) n'est pas proposé dans la commune de Namur")
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM requests").await,
        1,
        "nothing filed"
    );
}

#[tokio::test]
async fn a_partner_configuration_with_a_mistake_stops_the_start_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("partners.toml");
    std::fs::write(&file, HEAT_NETWORK.replace("hours = 6", "hours = 0")).unwrap();
    let mut config = Config::local(dir.path().to_path_buf());
    config.partners_file = Some(file);
    let error = Application::build(config).await.err().expect("refused");
    assert!(
        error.to_string().contains("chaleur-mons")
            && error.to_string().contains("between 1 and 24 hours"),
        "{error}"
    );
}
