import { PipeTransform } from '@nestjs/common';
import { notFound, RecordName } from '../errors/domain-error';

const ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * Record ids are opaque; anything not shaped like one cannot name a record: the 404 the route gives for an id it does
 * not know, naming what the route reads (未找到该创新券, not 未找到记录).
 */
export class IdPipe implements PipeTransform<string, string> {
  constructor(private readonly record: RecordName) {}

  transform(value: string): string {
    if (!ID.test(value)) throw notFound(this.record);
    return value;
  }
}
