//! `session_user` (and `current_user`, `user`, which datafusion-pg-catalog
//! renames to it) as the connection's user; datafusion-pg-catalog answers
//! "postgres" to everyone. DBeaver and Metabase show and check it.

use datafusion::arrow::datatypes::DataType;
use datafusion::common::ScalarValue;
use datafusion::error::Result;
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};

#[derive(Debug, PartialEq, Eq, Hash)]
pub struct SessionUser {
    user: String,
    signature: Signature,
}

impl SessionUser {
    pub fn udf(user: &str) -> ScalarUDF {
        ScalarUDF::from(SessionUser {
            user: user.to_string(),
            signature: Signature::nullary(Volatility::Stable),
        })
    }
}

impl ScalarUDFImpl for SessionUser {
    fn name(&self) -> &str {
        "session_user"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Utf8)
    }

    fn invoke_with_args(&self, _args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        Ok(ColumnarValue::Scalar(ScalarValue::Utf8(Some(
            self.user.clone(),
        ))))
    }
}
