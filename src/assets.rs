//! The admin pages' CSS, JavaScript and icons, embedded in the binary (no
//! CDN, no external fonts: the café's internet may be down), served with a
//! strong ETag and a day of caching.

use actix_web::http::header::{CACHE_CONTROL, CONTENT_TYPE, ETAG, IF_NONE_MATCH};
use actix_web::{HttpRequest, HttpResponse, web};
use rust_embed::RustEmbed;

use crate::error::PageError;

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
    let etag = format!(
        "\"{}\"",
        hash[..12]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    );
    let fresh = request
        .headers()
        .get(IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|tag| tag.trim() == etag));
    let mut response = if fresh {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    response
        .insert_header((ETAG, etag))
        .insert_header((CACHE_CONTROL, "public, max-age=86400"))
        .insert_header((CONTENT_TYPE, content_type(&path)));
    Ok(if fresh {
        response.finish()
    } else {
        response.body(file.data.into_owned())
    })
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
