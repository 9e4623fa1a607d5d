import { beijingTime } from '../common/clock';
import { toBuffer as qrPng } from 'qrcode';
import { formatYuan, toChineseCapitalAmount } from './chinese-amount';
import { regionName } from '../regions/regions.data';
import type { CertificateData } from './document-data';
import { block, Doc, fill, formatDateTime, formatDay, line, renderPdf, style, Style } from './drawing';
import { CertificateField, certificateTemplate, CertificateTemplate, Palette } from './templates';

/** One A4 page: the voucher as the holder prints it, with a QR code to the public verify endpoint. */
export async function renderCertificate(d: CertificateData): Promise<Buffer> {
  const t = certificateTemplate();
  const qr = await qrPng(d.verifyUrl, {
    type: 'png',
    errorCorrectionLevel: 'M',
    margin: 0,
    scale: 6,
    color: { dark: t.colors.text, light: '#ffffff' },
  });
  const info = { Title: `${t.title.zh} ${d.serial}`, Author: d.issuingBureauName, Subject: `${t.title.en} ${d.serial}` };
  return renderPdf(t.page, info, (doc) => new CertificateLayout(doc, t, d, qr).draw());
}

class CertificateLayout {
  private readonly x: number;
  private readonly width: number;
  private y: number;

  constructor(
    private readonly doc: Doc,
    private readonly t: CertificateTemplate,
    private readonly d: CertificateData,
    private readonly qr: Buffer,
  ) {
    this.x = t.page.margin;
    this.width = doc.page.width - 2 * t.page.margin;
    this.y = t.page.margin - 6;
  }

  draw(): void {
    // One page laid out by hand: the notes sit inside the bottom margin, so pdfkit must not paginate.
    this.doc.page.margins.bottom = 0;
    this.border();
    for (const section of this.t.sections) this[section]();
    if (this.d.revoked) this.voidStamp(this.d.revoked);
  }

  /** A revoked voucher's certificate says so across its face, so a printed copy cannot pass for a valid one. */
  private voidStamp(revoked: NonNullable<CertificateData['revoked']>): void {
    const { doc } = this;
    const v = this.t.void;
    const { width: W, height: H } = doc.page;
    // the stamp's English line takes the ISO day; the Chinese note the day as the certificate's other dates read
    const at = beijingTime(revoked.at).slice(0, 10);
    const [cx, cy] = [W / 2, H * 0.42];
    const [w, h] = [W * 0.62, 150];
    doc.save();
    doc.rotate(-18, { origin: [cx, cy] });
    doc.opacity(0.88);
    doc
      .lineWidth(5)
      .strokeColor(v.color)
      .roundedRect(cx - w / 2, cy - h / 2, w, h, 10)
      .stroke();
    doc
      .lineWidth(1.5)
      .roundedRect(cx - w / 2 + 8, cy - h / 2 + 8, w - 16, h - 16, 6)
      .stroke();
    line(
      doc,
      v.zh,
      cx - w / 2,
      cy - h / 2 + 18,
      { bold: true, size: 64, color: v.color },
      { width: w, align: 'center', characterSpacing: 12 },
    );
    line(
      doc,
      `${v.en} · ${fill(v.noteEn, { at })}`,
      cx - w / 2,
      cy + h / 2 - 40,
      { bold: true, size: 11, color: v.color },
      { width: w, align: 'center' },
    );
    doc.restore();
    // The same in plain words along the top, inside the border and unrotated, for anyone reading (or searching) the text.
    const note = [fill(v.noteZh, { at: formatDay(revoked.at) }), revoked.reason ? fill(v.reasonZh, { reason: revoked.reason }) : '']
      .filter(Boolean)
      .join('；');
    line(doc, note, this.x, this.t.border.innerInset + 9, { bold: true, size: 10, color: v.color }, { width: this.width, align: 'center' });
  }

  private get c(): Palette {
    return this.t.colors;
  }

  private centered(text: string, s: Style, characterSpacing = 0): number {
    return line(this.doc, text, this.x, this.y, s, { width: this.width, align: 'center', characterSpacing });
  }

  private border(): void {
    const { doc, c } = this;
    const b = this.t.border;
    const { width: W, height: H } = doc.page;
    doc.save();
    doc.lineWidth(b.outerWidth).strokeColor(c.primary);
    doc.rect(b.outerInset, b.outerInset, W - 2 * b.outerInset, H - 2 * b.outerInset).stroke();
    doc.lineWidth(b.innerWidth).strokeColor(c.accent);
    doc.rect(b.innerInset, b.innerInset, W - 2 * b.innerInset, H - 2 * b.innerInset).stroke();
    const i = b.innerInset + 6;
    const k = b.cornerSize;
    doc.lineWidth(1.4).strokeColor(c.primary).fillColor(c.accent);
    for (const [cx, cy, sx, sy] of [
      [i, i, 1, 1],
      [W - i, i, -1, 1],
      [i, H - i, 1, -1],
      [W - i, H - i, -1, -1],
    ]) {
      doc
        .moveTo(cx, cy + sy * k)
        .lineTo(cx, cy)
        .lineTo(cx + sx * k, cy)
        .stroke();
      this.diamond(cx + sx * 7, cy + sy * 7, 2.6);
    }
    doc.restore();
  }

  private diamond(cx: number, cy: number, r: number): void {
    this.doc.polygon([cx, cy - r], [cx + r, cy], [cx, cy + r], [cx - r, cy]).fill();
  }

  private divider(y: number, halfWidth: number): void {
    const { doc, c } = this;
    const mid = this.x + this.width / 2;
    doc.save().lineWidth(0.7).strokeColor(c.accent);
    doc
      .moveTo(mid - halfWidth, y)
      .lineTo(mid - 8, y)
      .stroke();
    doc
      .moveTo(mid + 8, y)
      .lineTo(mid + halfWidth, y)
      .stroke();
    doc.fillColor(c.accent);
    this.diamond(mid, y, 3.5);
    doc.restore();
  }

  private header(): void {
    const { d, c } = this;
    const issuer = d.issuingBureauName.startsWith(d.issuingRegionName)
      ? d.issuingBureauName
      : `${d.issuingRegionName} · ${d.issuingBureauName}`;
    this.y += this.centered(issuer, { bold: true, size: 13, color: c.primary }) + 2;
    this.y += this.centered(`${this.t.header.zh}    ${this.t.header.en}`, { size: 8.5, color: c.muted }) + 16;
  }

  private title(): void {
    const { t, c } = this;
    this.y += this.centered(t.title.zh, { bold: true, size: t.title.size, color: c.primary }, t.title.size / 4) - 4;
    this.y += this.centered(t.title.en, { size: 11, color: c.muted }, 5) + 10;
    this.divider(this.y, 120);
    this.y += 18;
  }

  private serial(): void {
    const { doc, t, d, c } = this;
    this.y += this.centered(`${t.serial.zh}  ${t.serial.en}`, { size: 9, color: c.muted }) + 4;
    style(doc, { bold: true, size: t.serial.size, color: c.text });
    const spacing = 1;
    const w = doc.widthOfString(d.serial, { characterSpacing: spacing }) + 48;
    const h = t.serial.size * 1.75;
    doc.save().lineWidth(1).strokeColor(c.accent);
    doc.roundedRect(this.x + (this.width - w) / 2, this.y, w, h, 4).stroke();
    doc.restore();
    line(
      doc,
      d.serial,
      this.x,
      this.y + (h - doc.currentLineHeight()) / 2,
      { bold: true, size: t.serial.size, color: c.text },
      {
        width: this.width,
        align: 'center',
        characterSpacing: spacing,
      },
    );
    this.y += h + 16;
  }

  private faceValue(): void {
    const { doc, t, d, c } = this;
    const f = t.faceValue;
    const h = f.size * 2.9;
    doc.save().lineWidth(0.8).fillColor(c.panel).strokeColor(c.rule);
    doc.roundedRect(this.x, this.y, this.width, h, 6).fillAndStroke();
    doc.restore();
    let y = this.y + 9;
    y += line(doc, `${f.zh}  ${f.en}`, this.x, y, { size: 9, color: c.muted }, { width: this.width, align: 'center' });
    y +=
      line(
        doc,
        formatYuan(d.faceValueFen),
        this.x,
        y - 2,
        { bold: true, size: f.size, color: c.primary },
        { width: this.width, align: 'center' },
      ) - 4;
    line(
      doc,
      `${f.capitalZh}${toChineseCapitalAmount(d.faceValueFen)}`,
      this.x,
      y,
      { bold: true, size: 13, color: c.text },
      {
        width: this.width,
        align: 'center',
      },
    );
    this.y += h + 12;
  }

  private fieldValue(key: CertificateField): string {
    const { d, t } = this;
    switch (key) {
      case 'holderName':
        return d.holderName;
      case 'holderCreditCode':
        return d.holderCreditCode;
      case 'issuer':
        return d.issuingBureauName;
      case 'issuingRegion':
        return d.issuingRegionName;
      case 'validity':
        return `${formatDateTime(d.validFrom)}${t.validityJoin}${formatDateTime(d.validUntil)}`;
      case 'policy':
        return fill(t.policyFormat, { region: regionName(d.policyRegionCode), version: d.policyVersion });
      case 'issuedAt':
        return `${formatDateTime(d.issuedAt)}${d.issuedAt.includes('T') ? '（北京时间）' : ''}`;
    }
  }

  private fields(): void {
    const { doc, c } = this;
    const labelWidth = 150;
    const valueX = this.x + labelWidth + 8;
    const valueWidth = this.width - labelWidth - 8;
    const pad = 6;
    for (const [i, f] of this.t.fields.entries()) {
      if (i > 0) {
        doc.save().lineWidth(0.5).strokeColor(c.rule).dash(1.5, { space: 2 });
        doc
          .moveTo(this.x, this.y)
          .lineTo(this.x + this.width, this.y)
          .stroke();
        doc.undash().restore();
      }
      const top = this.y + pad;
      let labelHeight = line(doc, f.zh, this.x + 8, top, { bold: true, size: 10.5, color: c.text });
      labelHeight += line(doc, f.en, this.x + 8, top + labelHeight - 2, { size: 7.5, color: c.muted }) - 2;
      const valueHeight = block(doc, this.fieldValue(f.key), valueX, top + 2, valueWidth, { size: 12, color: c.text }, 3);
      this.y = top + Math.max(labelHeight, valueHeight + 2) + pad;
    }
    this.y += 12;
  }

  private verify(): void {
    const { doc, t, d, c } = this;
    const v = t.verify;
    const top = this.y;
    doc.save().lineWidth(0.5).strokeColor(c.rule);
    doc.rect(this.x - 0.5, top - 0.5, v.qrSize + 1, v.qrSize + 1).stroke();
    doc.restore();
    doc.image(this.qr, this.x, top, { width: v.qrSize, height: v.qrSize });

    const sealWidth = t.seal.width;
    const textX = this.x + v.qrSize + 14;
    const textWidth = this.width - v.qrSize - 14 - sealWidth - 16;
    let y = top + 4;
    y += block(doc, v.zh, textX, y, textWidth, { size: 9.5, color: c.text }, 3) + 3;
    y += block(doc, v.en, textX, y, textWidth, { size: 7.5, color: c.muted }, 3) + 6;
    block(doc, d.verifyUrl, textX, y, textWidth, { size: 7, color: c.muted }, 3, { link: d.verifyUrl });

    this.seal(this.x + this.width - sealWidth, top);
    this.y = top + Math.max(v.qrSize, t.seal.height) + 14;
  }

  /**
   * Where the bureau stamps a printed certificate: a dashed box with a dashed circle for the seal, the bureau's name and
   * the date of issue under it, as a stamp is set over them.
   */
  private seal(left: number, top: number): void {
    const { doc, d, c } = this;
    const s = this.t.seal;
    doc.save().lineWidth(0.8).strokeColor(c.primary).dash(3, { space: 2 });
    doc.roundedRect(left, top, s.width, s.height, 4).stroke();
    doc.lineWidth(0.6).strokeColor(c.accent).dash(2, { space: 2 });
    const cy = top + 30 + s.circleRadius;
    doc.circle(left + s.width / 2, cy, s.circleRadius).stroke();
    doc.undash().restore();
    let y = top + 6;
    y += line(doc, s.zh, left, y, { bold: true, size: 9, color: c.primary }, { width: s.width, align: 'center' });
    line(doc, s.en, left, y - 1, { size: 6.5, color: c.muted }, { width: s.width, align: 'center' });
    const inner = s.width - 16;
    y = cy + s.circleRadius + 4;
    y += block(doc, d.issuingBureauName, left + 8, y, inner, { bold: true, size: 10, color: c.text }, 1, { align: 'right' });
    line(doc, formatDay(d.issuedAt), left + 8, y + 1, { size: 9, color: c.text }, { width: inner, align: 'right' });
  }

  private notes(): void {
    const { doc, t, c } = this;
    const bottom = doc.page.height - t.border.innerInset - 18;
    const zh = t.notes.zh.map((n, i) => `${i + 1}. ${n}`).join('\n');
    style(doc, { size: 7.5, color: c.muted });
    const zhHeight = doc.heightOfString(zh, { width: this.width });
    style(doc, { size: 7, color: c.muted });
    const enHeight = doc.heightOfString(t.notes.en, { width: this.width });
    const top = Math.max(this.y, bottom - zhHeight - enHeight - 2);
    block(doc, zh, this.x, top, this.width, { size: 7.5, color: c.muted }, 4);
    block(doc, t.notes.en, this.x, top + zhHeight + 2, this.width, { size: 7, color: c.muted }, 3);
  }
}
