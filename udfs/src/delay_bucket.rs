//! `delay_bucket(seconds)`: the bucket of a delay, as Partoo colours it.

use std::sync::Arc;

use crate::coerce;
use arrow::array::{AsArray, StringArray};
use arrow::datatypes::{DataType, Float64Type};
use datafusion::common::ScalarValue;
use datafusion::common::utils::take_function_args;
use datafusion::error::Result;
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility,
};

/// The bucket of a delay in seconds: `<1h` (below 3,600 s), `1-4h`, `4-8h`,
/// `8-24h` (below 86,400 s) and `>24h` (86,400 s and more): each bucket
/// includes its lower bound. NULL and negative delays give NULL.
///
/// ```sql
/// select delay_bucket(3599), delay_bucket(3600), delay_bucket(86400);  -- '<1h', '1-4h', '>24h'
/// ```
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct DelayBucket {
    signature: Signature,
}

impl Default for DelayBucket {
    fn default() -> Self {
        Self::new()
    }
}

impl DelayBucket {
    pub fn new() -> Self {
        Self {
            signature: Signature::user_defined(Volatility::Immutable),
        }
    }
}

/// The bucket of one value.
pub fn bucket(seconds: f64) -> Option<&'static str> {
    const HOUR: f64 = 3600.0;
    Some(match seconds {
        // NaN and negatives have no bucket.
        s if s.is_nan() || s < 0.0 => return None,
        s if s < HOUR => "<1h",
        s if s < 4.0 * HOUR => "1-4h",
        s if s < 8.0 * HOUR => "4-8h",
        s if s < 24.0 * HOUR => "8-24h",
        _ => ">24h",
    })
}

impl ScalarUDFImpl for DelayBucket {
    fn name(&self) -> &str {
        "delay_bucket"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        coerce::arity(self.name(), "(seconds)", arg_types.len(), &[1])?;
        Ok(vec![coerce::number(self.name(), "seconds", &arg_types[0])?])
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Utf8)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let [seconds] = take_function_args(self.name(), &args.args)?;
        Ok(match seconds {
            ColumnarValue::Array(array) => {
                let out: StringArray = array
                    .as_primitive::<Float64Type>()
                    .iter()
                    .map(|v| v.and_then(bucket))
                    .collect();
                ColumnarValue::Array(Arc::new(out))
            }
            ColumnarValue::Scalar(scalar) => {
                let value = match scalar.cast_to(&DataType::Float64)? {
                    ScalarValue::Float64(v) => v,
                    _ => None,
                };
                ColumnarValue::Scalar(ScalarValue::Utf8(
                    value.and_then(bucket).map(str::to_string),
                ))
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_belong_to_the_upper_bucket() {
        let cases = [
            (0.0, Some("<1h")),
            (3599.0, Some("<1h")),
            (3599.999, Some("<1h")),
            (3600.0, Some("1-4h")),
            (14_399.0, Some("1-4h")),
            (14_400.0, Some("4-8h")),
            (28_800.0, Some("8-24h")),
            (86_399.0, Some("8-24h")),
            (86_400.0, Some(">24h")),
            (-1.0, None),
            (f64::NAN, None),
        ];
        for (s, expected) in cases {
            assert_eq!(bucket(s), expected, "{s}");
        }
    }
}
