//! `--as-of`: the "now" of `report`, `sql` and `export`, as `convlake.as_of`
//! takes it.

use arrow::array::AsArray;
use arrow::datatypes::DataType;
use datafusion::prelude::SessionContext;

use crate::error::Result;

/// The value for `convlake.as_of`: the given instant; with `latest`, the
/// newest event's time (so the sample lake shows data whatever today's
/// date); with `now`, empty (the query's start time).
pub async fn resolve_as_of(ctx: &SessionContext, as_of: &str) -> Result<String> {
    match as_of.trim() {
        "now" => return Ok(String::new()),
        "latest" => {}
        given => return Ok(given.to_string()),
    }
    let batches = ctx
        .sql("select cast(max(ts) as varchar) from events")
        .await?
        .collect()
        .await?;
    let latest = batches
        .first()
        .and_then(|b| {
            let c = arrow::compute::cast(b.column(0), &DataType::Utf8).ok()?;
            c.as_string::<i32>()
                .iter()
                .next()
                .flatten()
                .map(str::to_string)
        })
        .unwrap_or_default();
    Ok(latest.replace(' ', "T"))
}
