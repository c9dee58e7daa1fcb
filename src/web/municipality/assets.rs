//! Leaflet, vendored (static/vendor/leaflet, BSD-2-Clause), and the map script: files under
//! static/ embedded in the binary and served with a day of caching.

use axum::{
    Router,
    extract::Path,
    http::header,
    response::{IntoResponse, Response},
    routing::get,
};

use crate::{http::error::PageError, state::AppState};

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/static/vendor/leaflet/leaflet.js", get(leaflet_js))
        .route("/static/vendor/leaflet/leaflet.css", get(leaflet_css))
        .route("/static/vendor/leaflet/LICENSE", get(leaflet_license))
        .route("/static/vendor/leaflet/images/{name}", get(leaflet_image))
        .route("/static/commune-map.js", get(map_script))
}

fn asset(content_type: &'static str, body: &'static [u8]) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        body,
    )
        .into_response()
}

async fn leaflet_js() -> Response {
    asset(
        "text/javascript; charset=utf-8",
        include_bytes!("../../../static/vendor/leaflet/leaflet.js"),
    )
}

async fn leaflet_css() -> Response {
    asset(
        "text/css; charset=utf-8",
        include_bytes!("../../../static/vendor/leaflet/leaflet.css"),
    )
}

async fn leaflet_license() -> Response {
    asset(
        "text/plain; charset=utf-8",
        include_bytes!("../../../static/vendor/leaflet/LICENSE"),
    )
}

async fn leaflet_image(Path(name): Path<String>) -> Response {
    let body: &'static [u8] = match name.as_str() {
        "layers.png" => include_bytes!("../../../static/vendor/leaflet/images/layers.png"),
        "layers-2x.png" => include_bytes!("../../../static/vendor/leaflet/images/layers-2x.png"),
        "marker-icon.png" => {
            include_bytes!("../../../static/vendor/leaflet/images/marker-icon.png")
        }
        "marker-icon-2x.png" => {
            include_bytes!("../../../static/vendor/leaflet/images/marker-icon-2x.png")
        }
        "marker-shadow.png" => {
            include_bytes!("../../../static/vendor/leaflet/images/marker-shadow.png")
        }
        _ => return PageError::NotFound.into_response(),
    };
    asset("image/png", body)
}

async fn map_script() -> Response {
    asset(
        "text/javascript; charset=utf-8",
        include_bytes!("../../../static/commune-map.js"),
    )
}
