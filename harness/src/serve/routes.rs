//! What `faultline serve` answers: the listing at `/`, files of the store everywhere else, text
//! files the browser would otherwise download shown as text, and no content sniffing.
//!
//! A file is served only when the file actually opened lies inside the store: the path is opened
//! (symlinks resolved by the kernel), then the opened file's own path (`/proc/self/fd/N`) is
//! checked against the store's, so neither a symlink pointing out of the store nor one swapped
//! in between a check and the open can leak a file; a folder's `index.html` is opened and checked
//! the same way. Only regular files are served (a FIFO would block, a device never ends).

use std::fs::File;
use std::os::fd::AsRawFd;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Query, Request, State};
use axum::http::header::{HeaderValue, CACHE_CONTROL, CONTENT_LENGTH, CONTENT_TYPE, LOCATION, X_CONTENT_TYPE_OPTIONS};
use axum::http::{Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use percent_encoding::percent_decode_str;
use results::listing::{self, PageRequest};
use results::store::ScanCache;
use rustix::fs::{Mode, OFlags};
use tokio_util::io::ReaderStream;

/// Extensions of the store's text files that have no registered type (histories, logs,
/// configurations), served as plain text so a browser shows them.
const TEXT_EXTENSIONS: [&str; 5] = ["jsonl", "log", "edn", "yaml", "yml"];

/// What every request needs.
struct Served {
    root: PathBuf,
    /// The store's path with every symlink resolved: what an opened file's path must start with.
    real_root: PathBuf,
    per_page: usize,
    /// Run rows kept between listings, read again only when their folder changed.
    cache: ScanCache,
}

/// The service: the listing at `/`, the store's files under every other path.
pub fn router(root: PathBuf, per_page: usize) -> Router {
    let real_root = root.canonicalize().unwrap_or_else(|_| root.clone());
    let served = Arc::new(Served { root, real_root, per_page, cache: ScanCache::default() });
    Router::new()
        .route("/", get(listing_page))
        .fallback(store_file)
        .with_state(served)
        .layer(middleware::from_fn(text_types))
}

async fn listing_page(State(served): State<Arc<Served>>, Query(query): Query<Vec<(String, String)>>) -> Response {
    let request = PageRequest::from_query(query.iter().map(|(k, v)| (k.as_str(), v.as_str())), served.per_page);
    let rendered = tokio::task::spawn_blocking(move || render(&served, &request)).await;
    match rendered.unwrap_or_else(|e| Err(format!("rendering the listing failed: {e}"))) {
        Ok(html) => ([(CACHE_CONTROL, HeaderValue::from_static("no-store"))], Html(html)).into_response(),
        Err(message) => (StatusCode::INTERNAL_SERVER_ERROR, message).into_response(),
    }
}

/// The listing of the store, or the one line that says why there is none.
fn render(served: &Served, request: &PageRequest) -> Result<String, String> {
    let store = results::store::scan_cached(&served.root, &served.cache).map_err(|e| e.to_string())?;
    listing::render(&store, &served.root.display().to_string(), request)
        .map_err(|e| format!("cannot render the listing: {e}"))
}

/// What a request for a path of the store comes to.
enum Found {
    /// A regular file inside the store, opened, and its size.
    File(File, u64),
    /// A folder asked for without its trailing `/`: go there.
    Folder,
    /// Nothing to serve (missing, outside the store, not a regular file, a bad path).
    Nothing,
}

/// A file of the store: `GET` and `HEAD` only; 404 for anything not inside it.
async fn store_file(State(served): State<Arc<Served>>, request: Request) -> Response {
    if request.method() != Method::GET && request.method() != Method::HEAD {
        return StatusCode::METHOD_NOT_ALLOWED.into_response();
    }
    let path = percent_decode_str(request.uri().path()).decode_utf8_lossy().into_owned();
    let lookup = path.clone();
    let found = tokio::task::spawn_blocking(move || find(&served, &lookup)).await.unwrap_or(Found::Nothing);
    match found {
        Found::File(file, size) => {
            let kind =
                mime_guess::from_path(if path.ends_with('/') { "index.html" } else { &path }).first_or_octet_stream();
            let body = Body::from_stream(ReaderStream::new(tokio::fs::File::from_std(file)));
            let mut response = Response::new(body);
            let headers = response.headers_mut();
            headers.insert(CONTENT_LENGTH, HeaderValue::from(size));
            if let Ok(kind) = HeaderValue::from_str(kind.as_ref()) {
                headers.insert(CONTENT_TYPE, kind);
            }
            response
        }
        Found::Folder => {
            let target = format!("{}/", request.uri().path());
            match HeaderValue::from_str(&target) {
                Ok(location) => (StatusCode::TEMPORARY_REDIRECT, [(LOCATION, location)]).into_response(),
                Err(_) => StatusCode::NOT_FOUND.into_response(),
            }
        }
        Found::Nothing => StatusCode::NOT_FOUND.into_response(),
    }
}

/// Looks up the decoded URL path `path` in the store (a folder's `index.html` when it ends in `/`).
fn find(served: &Served, path: &str) -> Found {
    let relative = Path::new(path.trim_start_matches('/'));
    if path.contains('\0') || relative.components().any(|c| !matches!(c, Component::Normal(_) | Component::CurDir)) {
        return Found::Nothing;
    }
    let Some((file, is_dir)) = open_inside(&served.real_root, &served.root.join(relative)) else {
        return Found::Nothing;
    };
    if !is_dir {
        return regular(file);
    }
    if !path.ends_with('/') {
        return Found::Folder;
    }
    match open_inside(&served.real_root, &served.root.join(relative).join("index.html")) {
        Some((index, false)) => regular(index),
        _ => Found::Nothing,
    }
}

/// `file` as something to serve when it is a regular file.
fn regular(file: File) -> Found {
    match file.metadata() {
        Ok(meta) if meta.is_file() => Found::File(file, meta.len()),
        _ => Found::Nothing,
    }
}

/// Opens `path` (without blocking on a FIFO) and returns it, and whether it is a folder, when
/// the file opened lies inside `real_root`.
fn open_inside(real_root: &Path, path: &Path) -> Option<(File, bool)> {
    let flags = OFlags::RDONLY | OFlags::NONBLOCK | OFlags::NOCTTY | OFlags::CLOEXEC;
    let file = File::from(rustix::fs::open(path, flags, Mode::empty()).ok()?);
    let opened = std::fs::read_link(format!("/proc/self/fd/{}", file.as_raw_fd())).ok()?;
    if !opened.starts_with(real_root) {
        return None;
    }
    let is_dir = file.metadata().ok()?.is_dir();
    Some((file, is_dir))
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
