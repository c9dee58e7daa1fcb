//! Outgoing mail: lettre transports and the outbox worker that feeds them.

pub mod compose;

use std::{path::PathBuf, time::Duration};

use lettre::{
    AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
    message::{
        Attachment as LettreAttachment, Mailbox, MultiPart, SinglePart, header::ContentType,
    },
    transport::smtp::authentication::Credentials,
};

use crate::config::{Config, MailTransportKind, SmtpSecurity};

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("bad address {0:?}")]
    Address(String),
    #[error("bad attachment type {0:?}")]
    AttachmentType(String),
    #[error("building the message: {0}")]
    Build(#[from] lettre::error::Error),
    #[error("SMTP: {0}")]
    Smtp(#[from] lettre::transport::smtp::Error),
    #[error("file outbox: {0}")]
    File(#[from] lettre::transport::file::Error),
    #[error("file outbox directory: {0}")]
    Io(#[from] std::io::Error),
    #[error("no answer from the mail relay within {0} s")]
    TimedOut(u64),
}

/// One message ready to send: the outbox row it comes from gives its stable Message-ID,
/// so a retried delivery can be recognised as the same message.
#[derive(Debug, Clone)]
pub struct OutgoingMail {
    pub id: String,
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: Option<String>,
    pub attachments: Vec<crate::db::outbox::Attachment>,
}

#[derive(Clone)]
pub struct Mailer {
    transport: Transport,
    from: Mailbox,
    /// Bounds a whole delivery: lettre's own timeout covers only some steps of the exchange.
    send_timeout: Duration,
}

#[derive(Clone)]
enum Transport {
    File {
        transport: AsyncFileTransport<Tokio1Executor>,
        dir: PathBuf,
    },
    Smtp {
        transport: AsyncSmtpTransport<Tokio1Executor>,
    },
}

impl Mailer {
    pub fn from_config(config: &Config) -> Result<Self, MailError> {
        let from: Mailbox = config
            .mail_from
            .parse()
            .map_err(|_| MailError::Address(config.mail_from.clone()))?;
        let transport = match config.mail_transport {
            MailTransportKind::File => {
                let dir = config.outbox_dir();
                std::fs::create_dir_all(&dir)?;
                Transport::File {
                    transport: AsyncFileTransport::new(&dir),
                    dir,
                }
            }
            MailTransportKind::Smtp => {
                let host = config.smtp_host.as_str();
                let mut builder = match config.smtp_security {
                    SmtpSecurity::None => {
                        AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)
                    }
                    SmtpSecurity::Starttls => {
                        AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(host)?
                    }
                    SmtpSecurity::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(host)?,
                }
                .port(config.smtp_port)
                .timeout(Some(Duration::from_secs(20)));
                if let (Some(user), Some(password)) = (&config.smtp_user, &config.smtp_password) {
                    builder = builder.credentials(Credentials::new(user.clone(), password.clone()));
                }
                Transport::Smtp {
                    transport: builder.build(),
                }
            }
        };
        Ok(Mailer {
            transport,
            from,
            send_timeout: Duration::from_secs(config.mail_send_timeout_secs.max(1)),
        })
    }

    fn sender_mailbox(&self) -> &Mailbox {
        &self.from
    }

    pub fn describe(&self) -> String {
        match &self.transport {
            Transport::File { dir, .. } => format!("files in {}", dir.display()),
            Transport::Smtp { .. } => "SMTP".to_owned(),
        }
    }

    /// The longest one delivery may take before it counts as failed.
    pub fn send_timeout(&self) -> Duration {
        self.send_timeout
    }

    pub fn build_message(&self, mail: &OutgoingMail) -> Result<Message, MailError> {
        let to: Mailbox = mail
            .to
            .parse()
            .map_err(|_| MailError::Address(mail.to.clone()))?;
        let builder = Message::builder()
            .message_id(Some(format!("<{}@connect-my-home.be>", mail.id)))
            .from(self.sender_mailbox().clone())
            .to(to)
            .subject(mail.subject.clone());
        let body = match &mail.html {
            Some(html) => MultiPart::alternative_plain_html(mail.text.clone(), html.clone()),
            None if mail.attachments.is_empty() => {
                return Ok(builder
                    .header(ContentType::TEXT_PLAIN)
                    .body(mail.text.clone())?);
            }
            None => MultiPart::mixed().singlepart(SinglePart::plain(mail.text.clone())),
        };
        if mail.attachments.is_empty() {
            return Ok(builder.multipart(body)?);
        }
        let mut mixed = MultiPart::mixed().multipart(body);
        for file in &mail.attachments {
            let content_type = ContentType::parse(&file.content_type)
                .map_err(|_| MailError::AttachmentType(file.content_type.clone()))?;
            mixed = mixed.singlepart(
                LettreAttachment::new(file.filename.clone())
                    .body(file.content.clone(), content_type),
            );
        }
        Ok(builder.multipart(mixed)?)
    }

    /// Delivers one message, or fails within the send timeout: a relay that accepts the
    /// connection and then stops answering must not hold the worker (lettre issue #1027).
    pub async fn send(&self, mail: &OutgoingMail) -> Result<(), MailError> {
        let message = self.build_message(mail)?;
        let delivery = async {
            match &self.transport {
                Transport::File { transport, .. } => {
                    transport.send(message).await?;
                }
                Transport::Smtp { transport } => {
                    transport.send(message).await?;
                }
            }
            Ok(())
        };
        tokio::time::timeout(self.send_timeout, delivery)
            .await
            .unwrap_or(Err(MailError::TimedOut(self.send_timeout.as_secs())))
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use crate::domain::EmailAddress;

    #[test]
    fn every_attempt_of_a_message_carries_the_same_message_id() {
        let dir = tempfile::tempdir().unwrap();
        let mailer =
            super::Mailer::from_config(&crate::config::Config::local(dir.path().to_path_buf()))
                .unwrap();
        let mail = super::OutgoingMail {
            id: "0190d1e2-0000-7000-8000-000000000001".into(),
            to: "marie.dupont@example.be".into(),
            subject: "Votre demande".into(),
            text: "Bonjour".into(),
            html: None,
            attachments: Vec::new(),
        };
        let id_of = |message: lettre::Message| {
            let text = String::from_utf8(message.formatted()).unwrap();
            text.lines()
                .find(|line| line.starts_with("Message-ID: "))
                .map(str::to_owned)
        };
        let first = id_of(mailer.build_message(&mail).unwrap());
        let second = id_of(mailer.build_message(&mail).unwrap());
        assert_eq!(
            first.as_deref(),
            Some("Message-ID: <0190d1e2-0000-7000-8000-000000000001@connect-my-home.be>")
        );
        assert_eq!(first, second);
    }

    fn sendable(address: &str) -> bool {
        address.parse::<lettre::Address>().is_ok()
    }

    #[test]
    fn addresses_the_form_takes_are_addresses_the_mailer_takes() {
        for address in ["marie.dupont+travaux@example.be", "jean@société.be"] {
            assert!(EmailAddress::parse(address).is_ok(), "{address}");
            assert!(sendable(address), "{address}");
        }
    }

    proptest! {
        #[test]
        fn every_address_the_form_accepts_can_be_sent_to(
            local in "[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~\"<> -]{1,20}",
            domain in "[a-zA-Z0-9.éè\\[\\]-]{1,20}",
        ) {
            let address = format!("{local}@{domain}");
            if let Ok(parsed) = EmailAddress::parse(&address) {
                prop_assert!(sendable(parsed.as_ref()), "{}", address);
            }
        }
    }
}
