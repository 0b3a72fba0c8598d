import type { Transporter } from 'nodemailer';

export interface Mail {
  to: string;
  subject: string;
  text: string;
  html?: string;
}

let cached: { url: string | undefined; transport: Transporter } | undefined;

/**
 * The SMTP transport named by SMTP_URL (e.g. smtp://user:pass@mail.example.com:587). Without
 * one, mail is built but not sent: it is printed, so the examples run anywhere.
 */
async function transport(): Promise<Transporter> {
  const url = process.env.SMTP_URL?.trim() || undefined;
  if (cached && cached.url === url) return cached.transport;
  const nodemailer = (await import('nodemailer')).default;
  const made = url ? nodemailer.createTransport(url) : nodemailer.createTransport({ jsonTransport: true });
  cached?.transport.close();
  cached = { url, transport: made };
  return made;
}

/** Sends a mail; resolves with the SMTP message id, or 'logged' when no SMTP server is configured. */
export async function sendMail(mail: Mail): Promise<string> {
  const from = process.env.MAIL_FROM ?? 'jobwright examples <no-reply@example.com>';
  const info = await (await transport()).sendMail({ from, ...mail });
  if (!process.env.SMTP_URL?.trim()) {
    console.log(`  [mail, not sent: no SMTP_URL] to ${mail.to}: ${mail.subject}`);
    return 'logged';
  }
  return String(info.messageId);
}

/** Closes the SMTP connection pool (the demo's last step). */
export function closeMailer(): void {
  cached?.transport.close();
  cached = undefined;
}
