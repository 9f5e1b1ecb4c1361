//! What the sandbox's Aliyun account knows, from the same `[notify]` section of
//! `shopflow.toml` the notify worker reads (so keys, sign names and template codes agree on
//! both sides): the AccessKey pairs, the approved SMS sign names and template codes, the voice
//! display numbers and TTS template codes. A code that `[notify.templates]` does not list is
//! "not approved" here, as it would be in the console.

use std::collections::{BTreeMap, BTreeSet};

use shopflow_connectors::{Config, Secret};

use crate::error::Error;

/// The simulated Aliyun account.
#[derive(Debug, Default)]
pub(crate) struct Accounts {
    keys: BTreeMap<String, Secret>,
    pub sign_names: BTreeSet<String>,
    pub sms_codes: BTreeSet<String>,
    pub show_numbers: BTreeSet<String>,
    pub tts_codes: BTreeSet<String>,
}

impl Accounts {
    /// Reads `[notify]` of `config` (none: an account without keys, which refuses every call).
    pub(crate) fn from_config(config: &Config) -> Result<Self, Error> {
        let settings = shopflow_notify::Settings::from_config(config)
            .map_err(|e| Error::Invalid(e.to_string()))?;
        let mut accounts = Self::default();
        let mut add_key = |id: &str, secret: &Secret| -> Result<(), Error> {
            match accounts.keys.get(id) {
                Some(known) if known != secret => Err(Error::Invalid(format!(
                    "{}: [notify.sms] and [notify.voice] give AccessKey `{id}` two different secrets",
                    config.path.display()
                ))),
                _ => {
                    accounts.keys.insert(id.to_owned(), secret.clone());
                    Ok(())
                }
            }
        };
        if let Some(sms) = &settings.sms {
            add_key(&sms.account.access_key_id, &sms.account.access_key_secret)?;
        }
        if let Some(voice) = &settings.voice {
            add_key(
                &voice.account.access_key_id,
                &voice.account.access_key_secret,
            )?;
        }
        if let Some(sms) = settings.sms {
            accounts.sign_names.insert(sms.sign_name);
        }
        if let Some(voice) = settings.voice {
            accounts.show_numbers.insert(voice.called_show_number);
        }
        for t in settings.templates.into_values() {
            accounts.sms_codes.extend(t.sms_code);
            accounts.tts_codes.extend(t.tts_code);
        }
        Ok(accounts)
    }

    /// The secret of AccessKey `id`.
    pub(crate) fn secret(&self, id: &str) -> Option<&Secret> {
        self.keys.get(id)
    }
}
