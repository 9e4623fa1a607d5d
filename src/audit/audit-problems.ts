import { Language, translate } from '../common/i18n/messages';

/** Why a verification failed, by its catalogue key (`auditVerification.*`), so the reason reads in the caller's language. */
export interface AuditProblem {
  key:
    | 'entryMissing'
    | 'entryUnlinked'
    | 'entryEdited'
    | 'headElsewhere'
    | 'headHashDiffers'
    | 'entriesPastHead'
    | 'checkpointPastHead'
    | 'checkpointEntryMissing'
    | 'checkpointHashDiffers'
    | 'unknownKey'
    | 'retiredKey'
    | 'signatureInvalid'
    | 'unsigned';
  params: Record<string, string | number>;
}

export const problem = (key: AuditProblem['key'], params: AuditProblem['params']): AuditProblem => ({ key, params });

/** The problem as a sentence in `lng`, naming the entries and checkpoints where it is. */
export const auditReason = (lng: Language, p: AuditProblem): string => translate(lng, `auditVerification.${p.key}`, p.params);
