//! `GET /admin/activity`: who changed what and when, newest first.

use actix_web::{HttpResponse, web};
use serde::Deserialize;

use super::context::Admin;
use super::render;
use super::views::{ActivityLine, ActivityPage};
use crate::db::{self, Database};
use crate::domain::Permission;
use crate::error::PageError;

const PER_PAGE: i64 = 25;

#[derive(Deserialize)]
pub struct PageQuery {
    page: Option<i64>,
}

pub async fn activity_page(
    admin: Admin,
    query: web::Query<PageQuery>,
    database: web::Data<Database>,
) -> Result<HttpResponse, PageError> {
    admin.require(Permission::GetDrinksDetail)?;
    let page = query.page.unwrap_or(1).clamp(1, i64::MAX / PER_PAGE);
    let (entries, total) = database
        .run(move |conn| db::list_activity(conn, (page - 1) * PER_PAGE, PER_PAGE))
        .await?;
    let pages = ((total + PER_PAGE - 1) / PER_PAGE).max(1);
    render(&ActivityPage {
        layout: admin.layout("Activity", "activity"),
        lines: entries.iter().map(ActivityLine::of).collect(),
        page,
        pages,
        total,
    })
}
