//! `format_duration(seconds)`: a duration in seconds as a person reads it.

use std::fmt::Write;
use std::sync::Arc;

use crate::coerce;
use arrow::array::{ArrayRef, AsArray, StringBuilder};
use arrow::datatypes::{DataType, Float64Type};
use datafusion::common::utils::take_function_args;
use datafusion::error::Result;
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility,
};
use datafusion::scalar::ScalarValue;

/// Formats a duration in seconds as `hh:mm:ss`, or `mm:ss` under one hour
/// (seed 000: "Format → hh:mm:ss ou mm:ss"). Hours grow past two digits
/// (`123:04:05`). Fractions of a second are dropped. NULL, NaN and negative
/// durations (SPEC.md §2: a duration whose end is missing or that would be
/// negative) are shown as `-`.
///
/// ```sql
/// select format_duration(3725);   -- '01:02:05'
/// select format_duration(59.9);   -- '00:59'
/// select format_duration(null);   -- '-'
/// ```
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct FormatDuration {
    signature: Signature,
}

impl Default for FormatDuration {
    fn default() -> Self {
        Self::new()
    }
}

impl FormatDuration {
    pub fn new() -> Self {
        Self {
            signature: Signature::user_defined(Volatility::Immutable),
        }
    }
}

/// The text for one value; `None` is shown as `-`.
pub fn format_seconds(seconds: Option<f64>, out: &mut String) {
    match seconds {
        Some(s) if s >= 0.0 && s.is_finite() => {
            let total = s.floor() as u64;
            let (h, m, s) = (total / 3600, total / 60 % 60, total % 60);
            if h > 0 {
                write!(out, "{h:02}:{m:02}:{s:02}")
            } else {
                write!(out, "{m:02}:{s:02}")
            }
            .expect("writing to a String cannot fail");
        }
        _ => out.push('-'),
    }
}

fn format_array(array: &ArrayRef) -> ArrayRef {
    let values = array.as_primitive::<Float64Type>();
    let mut builder = StringBuilder::with_capacity(values.len(), values.len() * 8);
    let mut text = String::with_capacity(16);
    for value in values.iter() {
        text.clear();
        format_seconds(value, &mut text);
        builder.append_value(&text);
    }
    Arc::new(builder.finish())
}

impl ScalarUDFImpl for FormatDuration {
    fn name(&self) -> &str {
        "format_duration"
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
            ColumnarValue::Array(array) => ColumnarValue::Array(format_array(array)),
            ColumnarValue::Scalar(scalar) => {
                let value = match scalar.cast_to(&DataType::Float64)? {
                    ScalarValue::Float64(v) => v,
                    _ => None,
                };
                let mut text = String::new();
                format_seconds(value, &mut text);
                ColumnarValue::Scalar(ScalarValue::Utf8(Some(text)))
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use arrow::array::{Float64Array, StringArray};
    use arrow::datatypes::Field;
    use datafusion::config::ConfigOptions;

    use super::*;

    fn invoke(arg: ColumnarValue, rows: usize) -> ColumnarValue {
        let args = ScalarFunctionArgs {
            arg_fields: vec![Arc::new(Field::new("s", DataType::Float64, true))],
            args: vec![arg],
            number_rows: rows,
            return_field: Arc::new(Field::new("f", DataType::Utf8, false)),
            config_options: Arc::new(ConfigOptions::default()),
        };
        FormatDuration::new().invoke_with_args(args).unwrap()
    }

    #[test]
    fn array_with_nulls_negatives_and_hours() {
        let input = Float64Array::from(vec![
            Some(0.0),
            Some(59.9),
            Some(3599.0),
            Some(3600.0),
            Some(3725.0),
            Some(86_400.0 * 5.0 + 1.0),
            None,
            Some(-1.0),
            Some(f64::NAN),
        ]);
        let ColumnarValue::Array(out) = invoke(ColumnarValue::Array(Arc::new(input)), 9) else {
            panic!("an array in gives an array out")
        };
        let out = out.as_any().downcast_ref::<StringArray>().unwrap();
        let expected = [
            "00:00",
            "00:59",
            "59:59",
            "01:00:00",
            "01:02:05",
            "120:00:01",
            "-",
            "-",
            "-",
        ];
        assert_eq!(out.iter().map(Option::unwrap).collect::<Vec<_>>(), expected);
    }

    #[test]
    fn scalars() {
        for (input, expected) in [
            (ScalarValue::Float64(Some(61.0)), "01:01"),
            (ScalarValue::Float64(None), "-"),
            (ScalarValue::Int64(Some(7322)), "02:02:02"),
        ] {
            let ColumnarValue::Scalar(ScalarValue::Utf8(Some(out))) =
                invoke(ColumnarValue::Scalar(input), 1)
            else {
                panic!("a scalar in gives a string scalar out")
            };
            assert_eq!(out, expected);
        }
    }
}
