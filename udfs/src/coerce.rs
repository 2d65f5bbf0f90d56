//! Argument coercions the functions share: what a data engineer types
//! (`timestamp '…'`, a zone-less or nanosecond column, a string literal, an
//! integer) cast to the one type each function computes on.

use arrow::datatypes::{DataType, TimeUnit};
use datafusion::common::plan_err;
use datafusion::error::Result;

/// The instant type every function computes on.
pub fn utc_micros() -> DataType {
    DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()))
}

/// Any timestamp (any unit, any zone; a zone-less one is read as UTC), a
/// date (its midnight UTC), a string (RFC 3339) or NULL, as µs UTC.
pub fn instant(function: &str, argument: &str, ty: &DataType) -> Result<DataType> {
    match ty {
        DataType::Timestamp(..)
        | DataType::Date32
        | DataType::Date64
        | DataType::Null
        | DataType::Utf8
        | DataType::Utf8View
        | DataType::LargeUtf8 => Ok(utc_micros()),
        DataType::Dictionary(_, value) => instant(function, argument, value),
        other => plan_err!(
            "{function}: argument '{argument}' must be a timestamp, got {other} \
             (e.g. timestamp '2026-11-20T09:00:00Z')"
        ),
    }
}

/// Any string type or NULL, as `to`.
pub fn string(function: &str, argument: &str, ty: &DataType, to: DataType) -> Result<DataType> {
    match ty {
        DataType::Utf8 | DataType::Utf8View | DataType::LargeUtf8 | DataType::Null => Ok(to),
        DataType::Dictionary(_, value) => string(function, argument, value, to),
        other => plan_err!("{function}: argument '{argument}' must be a string, got {other}"),
    }
}

/// Any number or NULL, as Float64.
pub fn number(function: &str, argument: &str, ty: &DataType) -> Result<DataType> {
    if ty.is_numeric() || ty.is_null() {
        Ok(DataType::Float64)
    } else {
        plan_err!("{function}: argument '{argument}' must be a number of seconds, got {ty}")
    }
}

/// The argument count check of a `user_defined` signature: names the
/// function and its forms.
pub fn arity(function: &str, forms: &str, given: usize, allowed: &[usize]) -> Result<()> {
    if allowed.contains(&given) {
        Ok(())
    } else {
        plan_err!("{function} takes {forms}; {given} argument(s) given")
    }
}
