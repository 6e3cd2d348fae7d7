//! What `faultline serve` answers: the listing at `/`, files of the store everywhere else
//! (tower-http's `ServeDir`, which refuses paths that climb out of the store; and no file that a
//! symlink in the store leads outside it), text files the browser would otherwise download shown
//! as text, and no content sniffing.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::extract::{Query, Request, State};
use axum::http::header::{HeaderValue, CACHE_CONTROL, CONTENT_TYPE, X_CONTENT_TYPE_OPTIONS};
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use percent_encoding::percent_decode_str;
use results::listing::{self, PageRequest};
use tower_http::services::ServeDir;

/// Extensions of the store's text files that have no registered type (histories, logs,
/// configurations), served as plain text so a browser shows them.
const TEXT_EXTENSIONS: [&str; 5] = ["jsonl", "log", "edn", "yaml", "yml"];

/// What every request needs.
struct Served {
    root: PathBuf,
    per_page: usize,
}

/// The service: the listing at `/`, the store's files under every other path.
pub fn router(root: PathBuf, per_page: usize) -> Router {
    let files = ServeDir::new(&root);
    let real_root = Arc::new(root.canonicalize().unwrap_or_else(|_| root.clone()));
    Router::new()
        .route("/", get(listing_page))
        .with_state(Arc::new(Served { root, per_page }))
        .fallback_service(files)
        .layer(middleware::from_fn_with_state(real_root, inside_store))
        .layer(middleware::from_fn(text_types))
}

/// 404 for a path whose file, once symlinks are resolved, lies outside the store (the store's
/// own `latest` links resolve inside it).
async fn inside_store(State(real_root): State<Arc<PathBuf>>, request: Request, next: Next) -> Response {
    let path = percent_decode_str(request.uri().path()).decode_utf8_lossy().into_owned();
    let outside = real_root
        .join(path.trim_start_matches('/'))
        .canonicalize()
        .is_ok_and(|real| !real.starts_with(real_root.as_path()));
    if outside {
        return StatusCode::NOT_FOUND.into_response();
    }
    next.run(request).await
}

async fn listing_page(State(served): State<Arc<Served>>, Query(query): Query<Vec<(String, String)>>) -> Response {
    let request = PageRequest::from_query(query.iter().map(|(k, v)| (k.as_str(), v.as_str())), served.per_page);
    let rendered = tokio::task::spawn_blocking(move || render(&served.root, &request)).await;
    match rendered.unwrap_or_else(|e| Err(format!("rendering the listing failed: {e}"))) {
        Ok(html) => ([(CACHE_CONTROL, HeaderValue::from_static("no-store"))], Html(html)).into_response(),
        Err(message) => (StatusCode::INTERNAL_SERVER_ERROR, message).into_response(),
    }
}

/// The listing of the store at `root`, or the one line that says why there is none.
fn render(root: &Path, request: &PageRequest) -> Result<String, String> {
    let store = results::store::scan(root).map_err(|e| e.to_string())?;
    listing::render(&store, &root.display().to_string(), request).map_err(|e| format!("cannot render the listing: {e}"))
}

/// Marks every response `nosniff`, and serves the store's text files as `text/plain`.
async fn text_types(request: Request, next: Next) -> Response {
    let extension = Path::new(request.uri().path()).extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase);
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    if extension.is_some_and(|e| TEXT_EXTENSIONS.contains(&e.as_str())) && headers.contains_key(CONTENT_TYPE) {
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
    }
    response
}
