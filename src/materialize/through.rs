//! `conversations_materialised_through()`: the last event the lake's
//! materialised conversations cover (src/materialize/conversations.rs), or NULL when the
//! lake has none in use. `sql/period_conversations.sql` reads the
//! materialisation only when `report_as_of()` is not before it: an earlier
//! as-of time needs the metrics of fewer events, which only the events give.

use arrow::datatypes::{DataType, TimeUnit};
use datafusion::common::ScalarValue;
use datafusion::error::Result;
use datafusion::logical_expr::simplify::{ExprSimplifyResult, SimplifyContext};
use datafusion::logical_expr::{
    ColumnarValue, Expr, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility, lit,
};

/// The function's name in SQL.
pub const NAME: &str = "conversations_materialised_through";

/// A constant of the lake, registered when the lake is opened. The planner
/// replaces the call with its value, so the comparison in
/// `period_conversations` folds to a literal and one branch is dropped.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct MaterialisedThrough {
    /// µs since the epoch, UTC.
    through: Option<i64>,
    signature: Signature,
}

impl MaterialisedThrough {
    pub fn udf(through: Option<i64>) -> ScalarUDF {
        ScalarUDF::new_from_impl(Self {
            through,
            signature: Signature::nullary(Volatility::Stable),
        })
    }

    fn value(&self) -> ScalarValue {
        ScalarValue::TimestampMicrosecond(self.through, Some("UTC".into()))
    }
}

impl ScalarUDFImpl for MaterialisedThrough {
    fn name(&self) -> &str {
        NAME
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Timestamp(
            TimeUnit::Microsecond,
            Some("UTC".into()),
        ))
    }

    fn invoke_with_args(&self, _args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        Ok(ColumnarValue::Scalar(self.value()))
    }

    fn simplify(&self, _args: Vec<Expr>, _info: &SimplifyContext) -> Result<ExprSimplifyResult> {
        Ok(ExprSimplifyResult::Simplified(lit(self.value())))
    }
}
