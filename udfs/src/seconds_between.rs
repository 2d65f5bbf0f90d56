//! `seconds_between(start, end)`: a duration metric of SPEC.md §2.

use std::sync::Arc;

use crate::coerce;
use arrow::array::{ArrayRef, AsArray, Float64Array};
use arrow::datatypes::{DataType, TimestampMicrosecondType};
use datafusion::common::utils::take_function_args;
use datafusion::error::Result;
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility,
};

/// Seconds from `start` to `end` (Float64). NULL when either is NULL or the
/// difference would be negative (SPEC.md §2: such a duration is shown `-`).
///
/// ```sql
/// select seconds_between(opened_at, first_response_at) as first_response_time
/// ```
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct SecondsBetween {
    signature: Signature,
}

impl Default for SecondsBetween {
    fn default() -> Self {
        Self::new()
    }
}

impl SecondsBetween {
    pub fn new() -> Self {
        Self {
            signature: Signature::user_defined(Volatility::Immutable),
        }
    }
}

fn seconds(start: i64, end: i64) -> Option<f64> {
    (end >= start).then(|| (end - start) as f64 / 1e6)
}

impl ScalarUDFImpl for SecondsBetween {
    fn name(&self) -> &str {
        "seconds_between"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        coerce::arity(self.name(), "(start, end)", arg_types.len(), &[2])?;
        arg_types
            .iter()
            .zip(["start", "end"])
            .map(|(ty, arg)| coerce::instant(self.name(), arg, ty))
            .collect()
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Float64)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let n = args.number_rows;
        let [start, end] = take_function_args(self.name(), args.args)?;
        let (start, end) = (start.into_array(n)?, end.into_array(n)?);
        let (start, end) = (
            start.as_primitive::<TimestampMicrosecondType>(),
            end.as_primitive::<TimestampMicrosecondType>(),
        );
        // Nulls where either side is NULL or the duration would be negative.
        let out: Float64Array = start
            .iter()
            .zip(end.iter())
            .map(|(s, e)| s.zip(e).and_then(|(s, e)| seconds(s, e)))
            .collect();
        Ok(ColumnarValue::Array(Arc::new(out) as ArrayRef))
    }
}

#[cfg(test)]
mod tests {
    use arrow::array::{Array, TimestampMicrosecondArray};
    use arrow::datatypes::Field;
    use datafusion::common::ScalarValue;
    use datafusion::config::ConfigOptions;

    use super::*;

    #[test]
    fn arrays_and_scalars_with_nulls_and_negatives() {
        let start =
            TimestampMicrosecondArray::from(vec![Some(0), Some(5_000_000), None, Some(1_500_000)])
                .with_timezone("UTC");
        let end = ColumnarValue::Scalar(ScalarValue::TimestampMicrosecond(
            Some(3_000_000),
            Some("UTC".into()),
        ));
        let ts = DataType::Timestamp(arrow::datatypes::TimeUnit::Microsecond, Some("UTC".into()));
        let args = ScalarFunctionArgs {
            arg_fields: vec![
                Arc::new(Field::new("a", ts.clone(), true)),
                Arc::new(Field::new("b", ts, true)),
            ],
            args: vec![ColumnarValue::Array(Arc::new(start)), end],
            number_rows: 4,
            return_field: Arc::new(Field::new("r", DataType::Float64, true)),
            config_options: Arc::new(ConfigOptions::default()),
        };
        let ColumnarValue::Array(out) = SecondsBetween::new().invoke_with_args(args).unwrap()
        else {
            panic!()
        };
        let out = out.as_primitive::<arrow::datatypes::Float64Type>();
        assert_eq!(
            out.iter().collect::<Vec<_>>(),
            [Some(3.0), None, None, Some(1.5)]
        );
        assert_eq!(out.null_count(), 2);
    }
}
