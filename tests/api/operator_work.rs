//! An operator's to-do list and day sheet (issue 22, point 7): the answers due from it and by
//! when, the works of days already come to record as done, and its crews' coming joint days
//! with the address and whom to meet — its own crews only.

use chrono::{Duration, NaiveDate};

use crate::helpers::{app_with_crews, marie, reserved, spawn_app_with, text_of};

#[tokio::test]
async fn an_operator_sees_the_answers_due_from_it_by_their_date_late_ones_flagged() {
    // No worker answers: every operator's study stays to do.
    let app = spawn_app_with(|config| config.run_workers = false).await;
    let (reference, _) = app.file_ok(&marie()).await;
    let swde = app.signed_in("eau@swde.demo").await;
    let page = text_of(&swde, app.url("/operator/work")).await;
    // Filed on Wednesday 2 December 2026: due 5 office days later, Wednesday 9 December.
    assert!(page.contains(&format!(">{reference}</a>")), "{page}");
    assert!(page.contains(">09/12/2026</td>"), "{page}");
    assert!(!page.contains("En retard"), "{page}");
    assert!(
        page.contains("Aucune journée réservée pour vos équipes"),
        "{page}"
    );
    // A week later the answer is late, and said so.
    app.advance(Duration::days(8));
    let swde = app.signed_in("eau@swde.demo").await;
    let page = text_of(&swde, app.url("/operator/work")).await;
    assert!(
        page.contains("09/12/2026 <strong class=\"flag\">"),
        "{page}"
    );
}

#[tokio::test]
async fn an_operator_reads_its_crews_day_sheet_and_the_works_to_record_after_the_day() {
    let app = app_with_crews().await;
    let job = reserved(&app, &marie()).await;
    let day: NaiveDate = job.day.parse().unwrap();

    // Three days before: the job is on the sheet, with where and whom to meet.
    app.advance_to(day - Duration::days(3));
    let elec = app.signed_in("elec@ores.demo").await;
    let page = text_of(&elec, app.url("/operator/work")).await;
    assert!(page.contains("Aucune réponse en attente."), "{page}");
    for expected in [
        "Équipe Namur (Électricité (ORES))".to_owned(),
        format!(">{}</a>", job.reference),
        "Rue des Tanneries 14, 5000 Namur".to_owned(),
        "Marie Dupont, <a href=\"tel:+32 81 23 45 67\">+32 81 23 45 67</a>".to_owned(),
        "Réservé, à confirmer par l&#39;agent ORES".to_owned(),
    ] {
        assert!(page.contains(&expected), "{expected}\n{page}");
    }
    assert!(page.contains("Aucun chantier passé en attente de déclaration."));
    // Its own crew only: SWDE's sheet names SWDE's crew, never ORES'.
    let swde = app.signed_in("eau@swde.demo").await;
    let theirs = text_of(&swde, app.url("/operator/work")).await;
    assert!(theirs.contains("Équipe Namur (Eau (SWDE))"), "{theirs}");
    assert!(!theirs.contains("Électricité (ORES)"), "{theirs}");
    // A commune's clerk has no crew: nothing to show, nothing leaked.
    let namur = app.signed_in("travaux@namur.demo").await;
    let none = text_of(&namur, app.url("/operator/work")).await;
    assert!(!none.contains(&job.reference), "{none}");

    // The day after: the works wait to be recorded as done, with the way to the request.
    app.advance_to(day + Duration::days(1));
    let elec = app.signed_in("elec@ores.demo").await;
    let page = text_of(&elec, app.url("/operator/work")).await;
    let listed = format!(
        "<a href=\"/backoffice/requests/{}#joint-day\">{}</a>, Rue des Tanneries 14, 5000 Namur",
        job.id, job.reference
    );
    assert!(page.contains(&listed), "{listed}\n{page}");
}
