//! convlake's functions as a data engineer calls them: plain `timestamp`
//! literals (nanoseconds, no zone), strings, integers, and the optional
//! arguments of `business_seconds`. Expected values worked out by hand.

use datafusion::prelude::SessionContext;

use crate::common::query_csv;

async fn session(timezone: &str) -> SessionContext {
    let ctx = convlake::session_context();
    convlake::register(&ctx, convlake::SAMPLE_LAKE)
        .await
        .unwrap();
    let set = format!("set convlake.timezone = '{timezone}'");
    ctx.sql(&set).await.unwrap().collect().await.unwrap();
    ctx
}

/// The single value `sql` answers, as CSV text.
async fn value(ctx: &SessionContext, sql: &str) -> String {
    let rows = query_csv(ctx, sql).await;
    assert_eq!(rows.len(), 2, "{sql}: {rows:?}");
    rows[1].clone()
}

async fn error(ctx: &SessionContext, sql: &str) -> String {
    let result = match ctx.sql(sql).await {
        Ok(df) => df.collect().await.map(|_| ()),
        Err(err) => Err(err),
    };
    result.expect_err(sql).to_string()
}

#[tokio::test]
async fn business_seconds_takes_plain_timestamps_and_defaults() {
    let utc = session("UTC").await;
    // Sunday 2022-03-20 00:00 to Saturday 03-26 23:59, Monday to Friday
    // 09:00-17:00: five days of 8 hours = 144,000 s.
    let week = "timestamp '2022-03-20T00:00:00Z', timestamp '2022-03-26T23:59:00Z'";
    assert_eq!(
        value(&utc, &format!("select business_seconds({week})")).await,
        "144000.0"
    );
    // The same as strings, and with the schedule and zone given as NULL.
    assert_eq!(
        value(
            &utc,
            "select business_seconds('2022-03-20T00:00:00Z', '2022-03-26T23:59:00Z')"
        )
        .await,
        "144000.0"
    );
    assert_eq!(
        value(
            &utc,
            &format!("select business_seconds({week}, null, null)")
        )
        .await,
        "144000.0"
    );
    // Monday 2022-03-21 07:00-09:00 UTC is 08:00-10:00 in Paris (CET, UTC+1
    // until 03-27): without a zone, the report's zone decides. UTC: before
    // 09:00, nothing; Paris: 09:00-10:00, 3,600 s.
    let monday = "timestamp '2022-03-21T07:00:00Z', timestamp '2022-03-21T09:00:00Z'";
    assert_eq!(
        value(&utc, &format!("select business_seconds({monday})")).await,
        "0.0"
    );
    let paris = session("Europe/Paris").await;
    assert_eq!(
        value(&paris, &format!("select business_seconds({monday})")).await,
        "3600.0"
    );
    // A schedule and no zone: Monday 08:00-12:00 local, the call's 08:00-10:00
    // Paris inside it, 7,200 s; the zone given wins over the report's.
    let hours = r#"'{"mon": [["08:00", "12:00"]]}'"#;
    assert_eq!(
        value(
            &paris,
            &format!("select business_seconds({monday}, {hours})")
        )
        .await,
        "7200.0"
    );
    assert_eq!(
        value(
            &paris,
            &format!("select business_seconds({monday}, {hours}, 'UTC')")
        )
        .await,
        "3600.0"
    );
    // A nanosecond column with no zone, as other tools write it.
    assert_eq!(
        value(
            &utc,
            "select business_seconds(arrow_cast('2022-03-21T09:00:00', 'Timestamp(Nanosecond, None)'), \
             arrow_cast('2022-03-21T11:30:00', 'Timestamp(Millisecond, Some(\"+01:00\"))'))"
        )
        .await,
        // The zone-less start is 09:00 UTC; 11:30 at +01:00 is 10:30 UTC:
        // 1 h 30 of Monday's opening hours in UTC.
        "5400.0"
    );
}

#[tokio::test]
async fn the_other_functions_take_what_is_typed() {
    let ctx = session("UTC").await;
    assert_eq!(
        value(
            &ctx,
            "select seconds_between(timestamp '2026-11-20T09:00:00', timestamp '2026-11-20T09:01:30')"
        )
        .await,
        "90.0"
    );
    assert_eq!(
        value(
            &ctx,
            "select seconds_between('2026-11-20T09:00:00Z', '2026-11-20T10:00:00Z')"
        )
        .await,
        "3600.0"
    );
    // Paris is UTC+2 in July.
    assert_eq!(
        value(
            &ctx,
            "select to_local(timestamp '2026-07-01T12:00:00Z', 'Europe/Paris')"
        )
        .await,
        "2026-07-01T14:00:00"
    );
    assert_eq!(
        value(
            &ctx,
            "select to_local('2026-01-01T12:00:00Z', arrow_cast('Europe/Paris', 'Utf8View'))"
        )
        .await,
        "2026-01-01T13:00:00"
    );
    // Integers of seconds: 90 s is 01:30 (mm:ss under an hour), 3,725 s
    // is 01:02:05; 3,599 s is under an hour, 3,600 s in the 1-4h bucket.
    assert_eq!(value(&ctx, "select format_duration(90)").await, "01:30");
    assert_eq!(
        value(&ctx, "select format_duration(3725)").await,
        "01:02:05"
    );
    assert_eq!(value(&ctx, "select delay_bucket(3599)").await, "<1h");
    assert_eq!(value(&ctx, "select delay_bucket(3600)").await, "1-4h");
}

#[tokio::test]
async fn a_wrong_argument_is_named() {
    let ctx = session("UTC").await;
    let err = error(&ctx, "select business_seconds(1, 2)").await;
    assert!(
        err.contains("business_seconds: argument 'start' must be a timestamp, got Int64"),
        "{err}"
    );
    let err = error(
        &ctx,
        "select business_seconds(timestamp '2022-03-21T07:00:00Z')",
    )
    .await;
    assert!(
        err.contains(
            "business_seconds takes (start, end [, business_hours [, tz]]); 1 argument(s) given"
        ),
        "{err}"
    );
    let err = error(&ctx, "select format_duration('soon')").await;
    assert!(
        err.contains("format_duration: argument 'seconds' must be a number of seconds, got Utf8"),
        "{err}"
    );
    let err = error(
        &ctx,
        "select to_local(timestamp '2026-07-01T12:00:00Z', 'Mars/Olympus')",
    )
    .await;
    assert!(
        err.contains("unknown time zone 'Mars/Olympus': use an IANA name such as 'Europe/Paris'"),
        "{err}"
    );
}
