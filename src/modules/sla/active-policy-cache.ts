import { Injectable } from '@nestjs/common';
import { ChangeCache, ChangeFeed } from '../../common/db/change-feed';
import type { PolicyTerms } from './sla-clock';

/** The active SLA policies, read once per process and dropped when any process changes one. */
@Injectable()
export class ActivePolicyCache extends ChangeCache<'active', PolicyTerms[]> {
  constructor(feed: ChangeFeed) {
    super(feed, 'sla_policies');
  }
}
