import { PipeTransform } from '@nestjs/common';
import { notFound } from '../errors/domain-error';

const ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Record ids are opaque; anything not shaped like one cannot name a record: 404. */
export class IdPipe implements PipeTransform<string, string> {
  transform(value: string): string {
    if (!ID.test(value)) throw notFound('record');
    return value;
  }
}
