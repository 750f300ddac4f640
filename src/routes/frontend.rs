//! The optional `[frontend] dir`: a directory (e.g. the web build of the
//! mobile app) served at `/`, registered after every other route so it never
//! shadows them. A GET for a path with no file extension that matches no
//! file gets `index.html`, for the app's client-side routes; reserved
//! prefixes (the API, `/admin`, health) and missing assets get the JSON 404.

use std::path::{Path, PathBuf};

use actix_files::{Files, NamedFile};
use actix_web::dev::{ServiceRequest, ServiceResponse, fn_service};
use actix_web::http::Method;

use crate::error::ApiError;

/// Serves `dir` at `/`; hidden files (`.env`, `.git`) are never served,
/// nor anything a symlink leads to outside `dir`.
pub fn service(dir: &Path) -> Files {
    let index = dir.join("index.html");
    let root = dir.canonicalize().unwrap_or_else(|_| dir.to_owned());
    Files::new("/", dir)
        .path_filter(move |path, _| stays_inside(&root, path))
        .index_file("index.html")
        .prefer_utf8(true)
        .default_handler(fn_service(move |request: ServiceRequest| {
            let index = index.clone();
            async move { client_route_or_not_found(request, &index).await }
        }))
}

async fn client_route_or_not_found(
    request: ServiceRequest,
    index: &PathBuf,
) -> Result<ServiceResponse, actix_web::Error> {
    let (request, _) = request.into_parts();
    let path = request.path();
    let is_read = matches!(*request.method(), Method::GET | Method::HEAD);
    if is_read && is_client_route(path) {
        let file = NamedFile::open_async(index).await?;
        let response = file.into_response(&request);
        return Ok(ServiceResponse::new(request, response));
    }
    let error = ApiError::not_found(format!("there is no route {} {}", request.method(), path));
    Ok(ServiceResponse::from_err(error, request))
}

/// True unless `path` (relative to `root`, which is canonical) resolves,
/// through symlinks, to somewhere outside `root`. A missing file passes, to
/// get the usual 404 or `index.html`.
fn stays_inside(root: &Path, path: &Path) -> bool {
    match root.join(path).canonicalize() {
        Ok(real) => real.starts_with(root),
        Err(_) => true,
    }
}

/// A path the app's router may own: not reserved, last segment without a dot.
fn is_client_route(path: &str) -> bool {
    let reserved = crate::paths::RESERVED
        .iter()
        .any(|prefix| path == *prefix || path.starts_with(&format!("{prefix}/")));
    let last_segment = path.rsplit('/').next().unwrap_or_default();
    !reserved && !last_segment.contains('.')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_routes_exclude_the_server_and_assets() {
        for path in ["/", "/tabs/drink-menu", "/drinksmenu"] {
            assert!(is_client_route(path), "{path}");
        }
        let served_here = ["/drinks", "/drinks/3", "/admin/activity", "/healthz"];
        for path in served_here.into_iter().chain(["/assets/missing.js"]) {
            assert!(!is_client_route(path), "{path}");
        }
    }
}
