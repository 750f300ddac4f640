//! `GET /admin/backup`, for managers: a fresh, consistent snapshot of the
//! database as a plain SQLite file (it opens anywhere, and `restore` takes
//! it), streamed, to carry away on a USB stick.

use std::fs::File;
use std::time::SystemTime;

use actix_files::NamedFile;
use actix_web::http::header::{
    CACHE_CONTROL, CacheControl, CacheDirective, ContentDisposition, DispositionParam,
    DispositionType,
};
use actix_web::{HttpRequest, HttpResponse, web};

use super::context::Admin;
use crate::backup::archive;
use crate::config::DatabaseSettings;
use crate::db;
use crate::error::PageError;
use crate::system::ServerFacts;

pub async fn download(
    admin: Admin,
    request: HttpRequest,
    facts: web::Data<ServerFacts>,
) -> Result<HttpResponse, PageError> {
    admin.require_manager()?;
    let name = format!("coffee-shop-{}.db", archive::stamp(SystemTime::now()));
    let (database, dir) = (facts.database.clone(), facts.backup_dir.clone());
    let file = web::block(move || snapshot(&database, &dir))
        .await
        .map_err(PageError::internal)??;
    let mut response = NamedFile::from_file(file, &name)
        .map_err(PageError::internal)?
        .set_content_type(
            "application/vnd.sqlite3"
                .parse()
                .map_err(PageError::internal)?,
        )
        .set_content_disposition(ContentDisposition {
            disposition: DispositionType::Attachment,
            parameters: vec![DispositionParam::Filename(name)],
        })
        .use_etag(false)
        .use_last_modified(false)
        .into_response(&request);
    response.headers_mut().insert(
        CACHE_CONTROL,
        CacheControl(vec![CacheDirective::NoStore])
            .to_string()
            .parse()
            .map_err(PageError::internal)?,
    );
    Ok(response)
}

/// A snapshot in `dir`, opened, then unlinked where the system allows it
/// (Windows does not while it is open: there the backup scheduler removes
/// the leftover when it next starts).
fn snapshot(database: &DatabaseSettings, dir: &std::path::Path) -> Result<File, PageError> {
    std::fs::create_dir_all(dir).map_err(PageError::internal)?;
    let path = dir.join(format!(
        ".download-{}.snapshot",
        archive::stamp(SystemTime::now())
    ));
    db::backup(database, &path, false).map_err(|error| match error {
        db::DbError::SqliteOnly { .. } => PageError::NotFound(error.to_string()),
        other => PageError::internal(other),
    })?;
    let file = File::open(&path).map_err(PageError::internal)?;
    let _ = std::fs::remove_file(&path);
    Ok(file)
}
