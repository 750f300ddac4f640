//! The admin pages' CSS, JavaScript and icons, embedded in the binary (no
//! CDN, no external fonts: the café's internet may be down), served with a
//! strong ETag (`If-None-Match` compared weakly, as everywhere) and a day of
//! caching.

use actix_web::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use actix_web::{HttpRequest, HttpResponse, web};
use rust_embed::RustEmbed;

use crate::error::PageError;
use crate::http::preconditions::ConditionalResponse;

#[derive(RustEmbed)]
#[folder = "static/"]
struct StaticFiles;

/// `GET /admin/static/{path}`.
pub async fn serve(
    request: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let path = path.into_inner();
    let file =
        StaticFiles::get(&path).ok_or_else(|| PageError::NotFound(format!("no file {path}")))?;
    let hash = file.metadata.sha256_hash();
    let etag = format!("\"{}\"", crate::hex::lower_hex(&hash[..12]));
    Ok(ConditionalResponse::new(&request, &etag, &[&etag])
        .header((CACHE_CONTROL, "public, max-age=86400"))
        .header((CONTENT_TYPE, content_type(&path)))
        .send(|response| response.body(file.data.into_owned())))
}

fn content_type(path: &str) -> &'static str {
    match path.rsplit('.').next() {
        Some("css") => "text/css; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("ico") => "image/x-icon",
        Some("woff2") => "font/woff2",
        _ => "application/octet-stream",
    }
}
