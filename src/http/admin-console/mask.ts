/** Lists show who a lead is about only enough to tell leads apart; the lead page shows it in full. */
export function maskEmail(email: string): string {
  const [user = '', domain = ''] = email.split('@');
  return `${user.slice(0, 1)}***@${domain}`;
}

export function maskPhone(phone: string): string {
  const digits = phone.replace(/[^0-9+]/g, '');
  return digits.length <= 4 ? '***' : `${digits.slice(0, 2)}***${digits.slice(-2)}`;
}

export function maskName(name: string): string {
  return name
    .split(/\s+/)
    .filter(Boolean)
    .map((word) => `${word.slice(0, 1)}.`)
    .join(' ');
}
