//! The applicant's documents: upload on the status page (checked, nothing half-saved), who may
//! download them, the completeness checklist from the operators' prerequisites (V-9.1.1,
//! B-4.1, CertIBEau), asking the applicant for what is missing, and marking complete.

use connect_my_home::{
    db::requests,
    services::{
        assess,
        documents::{self, DocumentError, Upload, Uploader},
    },
};
use reqwest::multipart::{Form, Part};

use crate::helpers::{TestApp, hidden, marie, spawn_app, spawn_app_with, text_of, with};

const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01";
const JPEG: &[u8] = b"\xFF\xD8\xFF\xE0\0\x10JFIF\0";

/// A PDF of `size` bytes.
pub(crate) fn pdf(size: usize) -> Vec<u8> {
    let mut bytes = b"%PDF-1.7\n".to_vec();
    bytes.resize(size.max(bytes.len()), b'x');
    bytes
}

/// The private link of the confirmation email.
async fn follow_link(app: &TestApp, id: &str) -> String {
    let body: String = sqlx::query_scalar(
        "SELECT body_text FROM outbox WHERE request_id = $1 AND kind = 'request_filed'",
    )
    .bind(id)
    .fetch_one(&app.state.db.pool)
    .await
    .unwrap();
    link_in(app, &body)
}

fn link_in(app: &TestApp, body: &str) -> String {
    let start = body.find(&app.url("/track/")).expect("private link");
    body[start..].split_whitespace().next().unwrap().to_owned()
}

/// Files Marie's request and waits for every operator's answer; returns (id, private link).
async fn filed_and_assessed(app: &TestApp) -> (String, String) {
    let (_, id) = app.file_assessed(&marie()).await;
    let link = follow_link(app, &id).await;
    (id, link)
}

/// Posts the upload form of the status page at `link`, as a browser would.
async fn upload(
    app: &TestApp,
    link: &str,
    kind: &str,
    filename: &str,
    bytes: Vec<u8>,
) -> reqwest::Response {
    let page = text_of(&app.client, link).await;
    let csrf = hidden(&page, "csrf_token");
    let mut form = Form::new().text("csrf_token", csrf);
    if !kind.is_empty() {
        form = form.text("kind", kind.to_owned());
    }
    let form = form.part(
        "file",
        Part::bytes(bytes)
            .file_name(filename.to_owned())
            .mime_str("application/octet-stream")
            .unwrap(),
    );
    app.client
        .post(format!("{link}/documents"))
        .multipart(form)
        .send()
        .await
        .unwrap()
}

pub(crate) async fn upload_ok(
    app: &TestApp,
    link: &str,
    kind: &str,
    filename: &str,
    bytes: Vec<u8>,
) {
    let response = upload(app, link, kind, filename, bytes).await;
    assert_eq!(
        response.status().as_u16(),
        303,
        "{}",
        response.text().await.unwrap()
    );
}

async fn document_id(app: &TestApp, kind: &str) -> String {
    sqlx::query_scalar("SELECT id FROM documents WHERE kind = $1")
        .bind(kind)
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap()
}

async fn assessment_id(app: &TestApp, request: &str, service: &str) -> String {
    sqlx::query_scalar("SELECT id FROM assessments WHERE request_id = $1 AND service = $2")
        .bind(request)
        .bind(service)
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap()
}

async fn state_of(app: &TestApp, id: &str) -> String {
    sqlx::query_scalar("SELECT state FROM requests WHERE id = $1")
        .bind(id)
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap()
}

/// Every file under the uploads directory.
fn stored_files(app: &TestApp) -> Vec<std::path::PathBuf> {
    fn walk(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, out);
            } else {
                out.push(path);
            }
        }
    }
    let mut files = Vec::new();
    walk(&app.data_dir.join("uploads"), &mut files);
    files
}

async fn status(client: &reqwest::Client, url: String) -> u16 {
    client.get(url).send().await.unwrap().status().as_u16()
}

/// Posts a staff form of the request page (message or reason) with the page's CSRF token.
async fn officer_post(
    app: &TestApp,
    officer: &reqwest::Client,
    id: &str,
    action: &str,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    let page = text_of(officer, app.url(&format!("/backoffice/requests/{id}"))).await;
    let mut form = vec![("csrf_token", hidden(&page, "csrf_token"))];
    form.extend(fields.iter().map(|(k, v)| (*k, (*v).to_owned())));
    officer
        .post(app.url(&format!("/backoffice/requests/{id}/{action}")))
        .form(&form)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn an_uploaded_document_is_stored_listed_and_in_the_timeline() {
    let app = spawn_app().await;
    let (id, link) = filed_and_assessed(&app).await;
    // Larger than the 64 KiB every other form may send: only this route takes files.
    let plan = pdf(300 * 1024);
    let response = upload(
        &app,
        &link,
        "situation_plan",
        "plan-situation.pdf",
        plan.clone(),
    )
    .await;
    assert_eq!(response.status().as_u16(), 303);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    assert!(location.ends_with("?uploaded=1#documents"), "{location}");

    let page = text_of(&app.client, app.url(&location)).await;
    assert!(page.contains("Document bien reçu"));
    assert!(page.contains("plan-situation.pdf"));
    assert!(page.contains("PDF, 300 Ko"));
    // The timeline tells the applicant (and everybody) it arrived.
    assert!(page.contains("Document reçu: Plan de situation (1/10 000 ou 1/5 000)"));
    // What is still asked: the title deed (B-4.1) is, the situation plan no more.
    let asked = &page[page.find("id=\"documents-asked\"").unwrap()..];
    let asked = &asked[..asked.find("</ul>").unwrap()];
    assert!(asked.contains("Titre de propriété"));
    assert!(!asked.contains("Plan de situation"));

    let (kind, size, sha, by, content_type): (String, i64, String, String, String) =
        sqlx::query_as(
            "SELECT kind, size_bytes, sha256, uploaded_by, content_type FROM documents \
             WHERE request_id = $1",
        )
        .bind(&id)
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap();
    assert_eq!(kind, "situation_plan");
    assert_eq!(size, 300 * 1024);
    assert_eq!(by, "applicant");
    assert_eq!(content_type, "application/pdf");
    use sha2::Digest;
    let expected: String = sha2::Sha256::digest(&plan)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(sha, expected);
    assert_eq!(stored_files(&app).len(), 1);
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM request_events WHERE kind = 'document_received' AND public = 1"
        )
        .await,
        1
    );

    // The applicant downloads it back through the private link.
    let document = document_id(&app, "situation_plan").await;
    let response = app
        .client
        .get(format!("{link}/documents/{document}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(response.headers()["content-type"], "application/pdf");
    assert_eq!(response.headers()["cache-control"], "private, no-store");
    assert!(
        response.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment; filename=\"plan-situation.pdf\"")
    );
    assert_eq!(response.bytes().await.unwrap().as_ref(), plan.as_slice());
}

#[tokio::test]
async fn refused_uploads_say_why_and_store_nothing() {
    let app = spawn_app_with(|config| config.upload_max_bytes = 1024 * 1024).await;
    let (_, link) = filed_and_assessed(&app).await;
    for (kind, name, bytes, message) in [
        (
            "situation_plan",
            "plan.pdf",
            pdf(1024 * 1024 + 1),
            "Le fichier dépasse 1 Mo",
        ),
        (
            "situation_plan",
            "plan.exe",
            pdf(2000),
            "Seuls les fichiers PDF, PNG, JPEG et DWG sont acceptés",
        ),
        (
            "legal_title",
            "titre.pdf",
            PNG.to_vec(),
            "Le contenu du fichier n&#39;est pas un PDF comme son nom l&#39;indique",
        ),
        (
            "legal_title",
            "titre.pdf",
            Vec::new(),
            "Le fichier est vide",
        ),
        (
            "",
            "titre.pdf",
            pdf(2000),
            "Choisissez ce qu&#39;est le document",
        ),
        (
            "title_deed",
            "titre.pdf",
            pdf(2000),
            "Choisissez ce qu&#39;est le document",
        ),
    ] {
        let response = upload(&app, &link, kind, name, bytes).await;
        assert_eq!(response.status().as_u16(), 422, "{name}");
        let page = response.text().await.unwrap();
        assert!(page.contains(message), "{name}: {message}");
        assert!(page.contains("Rien n&#39;a été enregistré"));
        assert_eq!(app.count("SELECT COUNT(*) FROM documents").await, 0);
        assert!(stored_files(&app).is_empty(), "{name}: no file kept");
    }
    // In English for an English reader.
    let page = text_of(&app.client, &link).await;
    let csrf = hidden(&page, "csrf_token");
    let form = Form::new()
        .text("csrf_token", csrf)
        .text("kind", "legal_title")
        .part("file", Part::bytes(PNG.to_vec()).file_name("deed.pdf"));
    let response = app
        .client
        .post(format!("{link}/documents"))
        .header("accept-language", "en")
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 422);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("The file&#39;s content is not a PDF as its name says")
    );
    // Without the form's CSRF token, nothing either.
    let form = Form::new()
        .text("kind", "legal_title")
        .part("file", Part::bytes(pdf(100)).file_name("titre.pdf"));
    let response = app
        .client
        .post(format!("{link}/documents"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 403);
    assert_eq!(app.count("SELECT COUNT(*) FROM documents").await, 0);
    assert!(stored_files(&app).is_empty());
    assert_eq!(
        app.count("SELECT COUNT(*) FROM request_events WHERE kind = 'document_received'")
            .await,
        0
    );
}

#[tokio::test]
async fn a_failed_database_write_removes_the_stored_file() {
    let app = spawn_app().await;
    let (id, _) = filed_and_assessed(&app).await;
    let mut tx = app.state.db.begin_read().await.unwrap();
    let mut request = requests::get_for_worker(&mut tx, id.parse().unwrap())
        .await
        .unwrap();
    tx.commit().await.unwrap();
    // A request that vanished meanwhile: the row cannot be written.
    request.id = connect_my_home::domain::RequestId::generate();
    let outcome = documents::upload(
        &app.state,
        &request,
        Uploader::Applicant,
        Upload {
            kind: Some("situation_plan".parse().unwrap()),
            filename: "plan.pdf",
            bytes: &pdf(5000),
        },
        app.now(),
    )
    .await;
    assert!(matches!(outcome, Err(DocumentError::Db(_))), "{outcome:?}");
    assert_eq!(app.count("SELECT COUNT(*) FROM documents").await, 0);
    assert!(stored_files(&app).is_empty(), "the orphan file is removed");
}

#[tokio::test]
async fn documents_are_served_only_to_whom_they_concern() {
    let app = spawn_app().await;
    let (id, link) = filed_and_assessed(&app).await;
    let (other_id, other_link) = {
        let (reference, _) = app
            .file_ok(&with(&marie(), &[("email", "jean@example.be")]))
            .await;
        let other = app.request_id(&reference).await;
        (other.clone(), follow_link(&app, &other).await)
    };
    let certificate = pdf(4000);
    upload_ok(
        &app,
        &link,
        "certibeau",
        "certibeau.pdf",
        certificate.clone(),
    )
    .await;
    upload_ok(&app, &link, "permit_copy", "permis.jpg", JPEG.to_vec()).await;
    let certibeau = document_id(&app, "certibeau").await;
    let permit = document_id(&app, "permit_copy").await;
    let water = assessment_id(&app, &id, "water").await;
    let telecom = assessment_id(&app, &id, "proximus").await;

    // The case officer (coordinator) reads every document.
    let julien = app.signed_in("julien@ores.demo").await;
    let page = text_of(&julien, app.url(&format!("/backoffice/requests/{id}"))).await;
    assert!(page.contains("certibeau.pdf") && page.contains("permis.jpg"));
    let response = julien
        .get(app.url(&format!("/backoffice/requests/{id}/documents/{certibeau}")))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(
        response.bytes().await.unwrap().as_ref(),
        certificate.as_slice()
    );
    // Not through another request's address.
    assert_eq!(
        status(
            &julien,
            app.url(&format!(
                "/backoffice/requests/{other_id}/documents/{certibeau}"
            ))
        )
        .await,
        404
    );

    // SWDE asked for the CertIBEau (its prerequisite): it reads it, not ORES's permit copy.
    let swde = app.signed_in("eau@swde.demo").await;
    let own = text_of(&swde, app.url(&format!("/operator/assessments/{water}"))).await;
    assert!(own.contains("certibeau.pdf"));
    assert!(!own.contains("permis.jpg"));
    let page = text_of(&swde, app.url(&format!("/backoffice/requests/{id}"))).await;
    assert!(page.contains(&format!(
        "/operator/assessments/{water}/documents/{certibeau}"
    )));
    assert!(
        !page.contains("permis.jpg"),
        "never another operator's document"
    );
    assert!(
        !page.contains("Complétude du dossier"),
        "the checklist is the officer's"
    );
    let response = swde
        .get(app.url(&format!(
            "/operator/assessments/{water}/documents/{certibeau}"
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(
        response.bytes().await.unwrap().as_ref(),
        certificate.as_slice()
    );
    for url in [
        format!("/operator/assessments/{water}/documents/{permit}"),
        format!("/backoffice/requests/{id}/documents/{certibeau}"),
    ] {
        assert_eq!(status(&swde, app.url(&url)).await, 404, "{url}");
    }

    // Proximus is party to the request but not concerned: 404, never 403.
    let proximus = app.signed_in("raccordement@proximus.demo").await;
    for url in [
        format!("/operator/assessments/{telecom}/documents/{certibeau}"),
        format!("/operator/assessments/{water}/documents/{certibeau}"),
        format!("/operator/assessments/{water}"),
        format!("/backoffice/requests/{id}/documents/{certibeau}"),
    ] {
        assert_eq!(status(&proximus, app.url(&url)).await, 404, "{url}");
    }
    let own = text_of(
        &proximus,
        app.url(&format!("/operator/assessments/{telecom}")),
    )
    .await;
    assert!(!own.contains("certibeau.pdf"));
    // Nor the commune.
    let namur = app.signed_in("travaux@namur.demo").await;
    assert_eq!(
        status(
            &namur,
            app.url(&format!("/backoffice/requests/{id}/documents/{certibeau}"))
        )
        .await,
        404
    );

    // The applicant reads their own through their link; another request's link finds nothing.
    assert_eq!(
        status(&app.client, format!("{link}/documents/{certibeau}")).await,
        200
    );
    assert_eq!(
        status(&app.client, format!("{other_link}/documents/{certibeau}")).await,
        404
    );
    assert_eq!(
        status(&app.client, format!("{other_link}/documents/not-an-id")).await,
        404
    );

    // The API lists the same documents to each.
    let listed = |client: reqwest::Client| {
        let url = app.url(&format!("/api/v1/requests/{id}"));
        async move {
            let body: serde_json::Value =
                client.get(url).send().await.unwrap().json().await.unwrap();
            body["documents"]
                .as_array()
                .unwrap()
                .iter()
                .map(|d| d["kind"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(listed(julien.clone()).await, ["certibeau", "permit_copy"]);
    assert_eq!(listed(swde.clone()).await, ["certibeau"]);
    assert!(listed(proximus.clone()).await.is_empty());
}

#[tokio::test]
async fn the_officer_asks_for_what_is_missing_then_marks_the_request_complete() {
    let app = spawn_app().await;
    let (id, first_link) = filed_and_assessed(&app).await;
    let julien = app.signed_in("julien@ores.demo").await;

    // The checklist comes from the operators' document prerequisites.
    let page = text_of(&julien, app.url(&format!("/backoffice/requests/{id}"))).await;
    let checklist = &page[page.find("id=\"checklist\"").expect("checklist")..];
    let checklist = &checklist[..checklist.find("</table>").unwrap()];
    for expected in [
        "4 manquants, dont 2 requis avant l&#39;offre",
        "Plan de situation (1/10 000 ou 1/5 000)",
        "ORES électricité",
        "V-9.1.1",
        "15 jours avant les travaux",
        "Titre de propriété ou droit sur la parcelle (copie)",
        "B-4.1",
        "SWDE",
        "Certificat CertIBEau",
        "manquant",
    ] {
        assert!(checklist.contains(expected), "checklist: {expected}");
    }
    assert!(
        !checklist.contains("Tranchée"),
        "a trench is not a document"
    );

    // One email, with the list, the message and a fresh private link; the request is incomplete.
    let response = officer_post(
        &app,
        &julien,
        &id,
        "missing",
        &[("message", "Le plan cadastral suffit.")],
    )
    .await;
    assert_eq!(response.status().as_u16(), 303);
    let page = text_of(
        &julien,
        app.url(response.headers()["location"].to_str().unwrap()),
    )
    .await;
    assert!(page.contains("Le courriel au demandeur est envoyé"));
    assert_eq!(state_of(&app, &id).await, "incomplete");
    let mails: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT recipient, subject, body_text FROM outbox \
         WHERE request_id = $1 AND kind = 'missing_documents'",
    )
    .bind(&id)
    .fetch_all(&app.state.db.pool)
    .await
    .unwrap();
    assert_eq!(mails.len(), 1, "exactly one email");
    let (recipient, subject, body) = &mails[0];
    assert_eq!(recipient, "marie.dupont@example.be");
    assert!(subject.starts_with("Documents à fournir pour votre demande CMH-"));
    for expected in [
        "Plan de situation (1/10 000 ou 1/5 000) — avant l'offre",
        "Titre de propriété ou droit sur la parcelle (copie) — avant l'offre",
        "Copie du permis — 15 jours avant les travaux",
        "Certificat CertIBEau — avant les travaux",
        "Le plan cadastral suffit.",
    ] {
        assert!(body.contains(expected), "email: {expected}");
    }
    let link = link_in(&app, body);
    assert_ne!(link, first_link, "a fresh link");
    let status_page = text_of(&app.client, &link).await;
    assert!(status_page.contains("Il manque des éléments à votre dossier"));
    assert!(status_page.contains("Documents manquants demandés"));
    let (actor, public): (Option<String>, i64) = sqlx::query_as(
        "SELECT actor_name, public FROM request_events WHERE kind = 'documents_requested'",
    )
    .fetch_one(&app.state.db.pool)
    .await
    .unwrap();
    assert_eq!(actor.as_deref(), Some("Julien Lambert"));
    assert_eq!(public, 1);
    app.wait_outbox_idle().await;
    assert_eq!(
        std::fs::read_dir(app.data_dir.join("outbox"))
            .unwrap()
            .count(),
        2,
        "the confirmation and this one"
    );

    // Marking complete is refused with the list while documents needed for the offer miss.
    let response = officer_post(&app, &julien, &id, "complete", &[]).await;
    assert_eq!(response.status().as_u16(), 422);
    let refusal = response.text().await.unwrap();
    assert!(refusal.contains("ne peut pas être marqué complet"));
    assert!(
        refusal.contains("Plan de situation (1/10 000 ou 1/5 000) (ORES électricité, V-9.1.1)")
    );
    assert!(refusal.contains("Titre de propriété ou droit sur la parcelle (copie) (SWDE, B-4.1)"));
    assert!(
        !refusal.contains("Certificat CertIBEau (SWDE"),
        "not needed before the offer"
    );
    assert_eq!(state_of(&app, &id).await, "incomplete");

    // The applicant sends them through the new link; the last one tells the officer.
    upload_ok(&app, &link, "situation_plan", "situation.pdf", pdf(3000)).await;
    assert_eq!(
        app.count("SELECT COUNT(*) FROM request_events WHERE kind = 'required_documents_received'")
            .await,
        0
    );
    upload_ok(&app, &link, "legal_title", "acte.jpeg", JPEG.to_vec()).await;
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM request_events \
             WHERE kind = 'required_documents_received' AND public = 0"
        )
        .await,
        1
    );
    assert_eq!(
        state_of(&app, &id).await,
        "incomplete",
        "not completed by itself"
    );
    let page = text_of(&julien, app.url(&format!("/backoffice/requests/{id}"))).await;
    assert!(page.contains("Tous les documents requis pour l&#39;offre sont reçus"));
    assert!(page.contains("2 manquants, dont 0 requis avant l&#39;offre"));

    // Now it is complete; every operator has answered, so it is assessed.
    let response = officer_post(&app, &julien, &id, "complete", &[]).await;
    assert_eq!(response.status().as_u16(), 303);
    assert_eq!(state_of(&app, &id).await, "assessed");
    let status_page = text_of(&app.client, &link).await;
    assert!(status_page.contains("Dossier complet"));
    // Once assessed, marking complete again is refused with the reason.
    let response = officer_post(&app, &julien, &id, "complete", &[]).await;
    assert_eq!(response.status().as_u16(), 422);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("Impossible à l&#39;étape « Étudiée par les opérateurs »")
    );
    // Only the coordinator's staff may do any of it.
    let swde = app.signed_in("eau@swde.demo").await;
    let page = text_of(&swde, app.url(&format!("/backoffice/requests/{id}"))).await;
    let response = swde
        .post(app.url(&format!("/backoffice/requests/{id}/missing")))
        .form(&[("csrf_token", hidden(&page, "csrf_token"))])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 404);
}

#[tokio::test]
async fn completeness_and_the_operators_answers_in_any_order() {
    let app = spawn_app_with(|config| config.run_workers = false).await;
    let julien = app.signed_in("julien@ores.demo").await;
    let (first, _) = app.file_ok(&marie()).await;
    let first = app.request_id(&first).await;
    let (second, _) = app
        .file_ok(&with(&marie(), &[("email", "jean@example.be")]))
        .await;
    let second = app.request_id(&second).await;

    // Before any answer nothing is asked yet: asking needs a message.
    let response = officer_post(&app, &julien, &first, "missing", &[]).await;
    assert_eq!(response.status().as_u16(), 422);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("Il ne manque aucun document")
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM outbox WHERE kind = 'missing_documents'")
            .await,
        0
    );
    let response = officer_post(
        &app,
        &julien,
        &first,
        "missing",
        &[("message", "Envoyez le plan de situation.")],
    )
    .await;
    assert_eq!(response.status().as_u16(), 303);
    assert_eq!(state_of(&app, &first).await, "incomplete");

    // The second is marked complete before the operators answer: "complete".
    let response = officer_post(&app, &julien, &second, "complete", &[]).await;
    assert_eq!(response.status().as_u16(), 303);
    assert_eq!(state_of(&app, &second).await, "complete");

    // Every operator answers: "complete" moves on, "incomplete" stays.
    assess::assess_due(&app.state.db, &app.state.tariffs(), app.now())
        .await
        .unwrap();
    assert_eq!(state_of(&app, &second).await, "assessed");
    assert_eq!(state_of(&app, &first).await, "incomplete");

    // The officer goes on without the missing documents only with a reason, kept for staff.
    let response = officer_post(
        &app,
        &julien,
        &first,
        "complete",
        &[("reason", "Plans reçus par la poste")],
    )
    .await;
    assert_eq!(response.status().as_u16(), 303);
    assert_eq!(state_of(&app, &first).await, "assessed");
    let (detail, public): (String, i64) = sqlx::query_as(
        "SELECT detail, public FROM request_events WHERE kind = 'completeness_overridden'",
    )
    .fetch_one(&app.state.db.pool)
    .await
    .unwrap();
    assert!(detail.starts_with("Plans reçus par la poste ("));
    assert!(detail.contains("Plan de situation"));
    assert_eq!(public, 0);
}

#[tokio::test]
async fn the_officer_adds_a_document_received_by_post() {
    let app = spawn_app().await;
    let (id, _) = filed_and_assessed(&app).await;
    let post = |client: reqwest::Client, name: &'static str, bytes: Vec<u8>| {
        let url = app.url(&format!("/backoffice/requests/{id}"));
        async move {
            let page = text_of(&client, &url).await;
            let form = Form::new()
                .text("csrf_token", hidden(&page, "csrf_token"))
                .text("kind", "legal_title")
                .part("file", Part::bytes(bytes).file_name(name));
            client
                .post(format!("{url}/documents"))
                .multipart(form)
                .send()
                .await
                .unwrap()
        }
    };
    let julien = app.signed_in("julien@ores.demo").await;
    // A disguised file is refused there too, with the reason, and nothing is kept.
    let response = post(julien.clone(), "acte.pdf", JPEG.to_vec()).await;
    assert_eq!(response.status().as_u16(), 422);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("n&#39;est pas un PDF comme son nom l&#39;indique")
    );
    assert!(stored_files(&app).is_empty());

    let response = post(julien.clone(), "acte.pdf", pdf(2048)).await;
    assert_eq!(response.status().as_u16(), 303);
    let page = text_of(
        &julien,
        app.url(response.headers()["location"].to_str().unwrap()),
    )
    .await;
    assert!(page.contains("Document ajouté au dossier."));
    assert!(page.contains("acte.pdf</a> (ajouté par un agent)"));
    let (by, uploader, actor): (String, Option<String>, Option<String>) = sqlx::query_as(
        "SELECT d.uploaded_by, d.uploader_id, e.actor_name FROM documents d \
         JOIN request_events e ON e.request_id = d.request_id AND e.kind = 'document_received'",
    )
    .fetch_one(&app.state.db.pool)
    .await
    .unwrap();
    assert_eq!(by, "staff");
    assert!(uploader.is_some());
    assert_eq!(actor.as_deref(), Some("Julien Lambert"));
    // It counts for the checklist like the applicant's own.
    assert!(page.contains("3 manquants, dont 1 requis avant l&#39;offre"));

    // Operators do not add documents to the coordinator's file.
    let swde = app.signed_in("eau@swde.demo").await;
    let response = post(swde, "autre.pdf", pdf(2048)).await;
    assert_eq!(response.status().as_u16(), 404);
    assert_eq!(app.count("SELECT COUNT(*) FROM documents").await, 1);
}

#[tokio::test]
async fn the_officer_reclassifies_or_withdraws_a_document_with_a_reason() {
    let app = spawn_app().await;
    let (id, link) = filed_and_assessed(&app).await;
    // The applicant sends the title deed but calls it "other".
    upload_ok(&app, &link, "other", "acte.pdf", pdf(2_000)).await;
    let document = document_id(&app, "other").await;
    let julien = app.signed_in("julien@ores.demo").await;
    let page = text_of(&julien, app.url(&format!("/backoffice/requests/{id}"))).await;
    assert!(page.contains("Reclasser ou retirer"));
    let before = app.count("SELECT COUNT(*) FROM request_events").await;

    // Without a reason nothing changes, and the page says why.
    let action = format!("documents/{document}/kind");
    let refused = officer_post(
        &app,
        &julien,
        &id,
        &action,
        &[("kind", "legal_title"), ("reason", " ")],
    )
    .await;
    assert_eq!(refused.status().as_u16(), 422);
    assert!(refused.text().await.unwrap().contains("Motif :"));
    assert_eq!(document_id(&app, "other").await, document);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM request_events").await,
        before
    );

    // Reclassified: the title deed SWDE asks for (B-4.1) is no longer missing.
    let done = officer_post(
        &app,
        &julien,
        &id,
        &action,
        &[("kind", "legal_title"), ("reason", "Acte de propriété")],
    )
    .await;
    assert_eq!(done.status().as_u16(), 303);
    assert_eq!(document_id(&app, "legal_title").await, document);
    let page = text_of(
        &julien,
        app.url(done.headers()["location"].to_str().unwrap()),
    )
    .await;
    assert!(page.contains("Document reclassé : la liste des pièces en tient compte."));
    let checklist = &page[page.find("id=\"checklist\"").unwrap()..];
    let title_row = &checklist[checklist.find("Titre de propriété").unwrap()..];
    let title_row = &title_row[..title_row.find("</tr>").unwrap()];
    assert!(title_row.contains("reçu"), "{title_row}");
    let detail: String = sqlx::query_scalar(
        "SELECT detail FROM request_events WHERE kind = 'document_reclassified'",
    )
    .fetch_one(&app.state.db.pool)
    .await
    .unwrap();
    assert_eq!(detail, "acte.pdf : other → legal_title — Acte de propriété");

    // Withdrawn: the row and the stored file go, the timeline keeps the fingerprint.
    assert_eq!(stored_files(&app).len(), 1);
    let sha: String = sqlx::query_scalar("SELECT sha256 FROM documents WHERE id = $1")
        .bind(&document)
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap();
    let done = officer_post(
        &app,
        &julien,
        &id,
        &format!("documents/{document}/withdraw"),
        &[("reason", "Acte d'une autre parcelle")],
    )
    .await;
    assert_eq!(done.status().as_u16(), 303);
    assert_eq!(app.count("SELECT COUNT(*) FROM documents").await, 0);
    assert!(stored_files(&app).is_empty());
    let detail: String =
        sqlx::query_scalar("SELECT detail FROM request_events WHERE kind = 'document_withdrawn'")
            .fetch_one(&app.state.db.pool)
            .await
            .unwrap();
    assert!(detail.contains(&sha) && detail.ends_with("Acte d'une autre parcelle"));
    let download = status(
        &julien,
        app.url(&format!("/backoffice/requests/{id}/documents/{document}")),
    )
    .await;
    assert_eq!(download, 404);

    // Only the coordinator's officers correct documents; an unknown one is 404.
    upload_ok(&app, &link, "certibeau", "certibeau.pdf", pdf(1_000)).await;
    let certibeau = document_id(&app, "certibeau").await;
    let swde = app.signed_in("eau@swde.demo").await;
    let page = text_of(&swde, app.url(&format!("/backoffice/requests/{id}"))).await;
    let response = swde
        .post(app.url(&format!(
            "/backoffice/requests/{id}/documents/{certibeau}/withdraw"
        )))
        .form(&[
            ("csrf_token", hidden(&page, "csrf_token")),
            ("reason", "test".to_owned()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 404);
    let unknown = officer_post(
        &app,
        &julien,
        &id,
        "documents/01a208e5-6e31-7569-8360-c786c4bf0be2/withdraw",
        &[("reason", "test")],
    )
    .await;
    assert_eq!(unknown.status().as_u16(), 404);
    assert_eq!(app.count("SELECT COUNT(*) FROM documents").await, 1);
}
