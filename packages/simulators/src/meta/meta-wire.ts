/**
 * Meta's wire formats as the simulator speaks them, written from Meta's documentation rather than
 * borrowed from leadgate: the package stands alone, and a misreading in leadgate's parser cannot
 * reappear here and hide itself.
 */

/** One answer of the form: `values` is always a list, even for one value. */
export interface GraphFieldData {
  name: string;
  values: string[];
}

/** A lead as `GET /{version}/{leadgen_id}` returns it. Ids are strings in Graph answers. */
export interface GraphLead {
  id: string;
  created_time?: string;
  field_data: GraphFieldData[];
  ad_id?: string;
  ad_name?: string;
  adset_id?: string;
  adset_name?: string;
  campaign_id?: string;
  campaign_name?: string;
  form_id?: string;
  is_organic?: boolean;
  platform?: string;
  /** `is_checked` is "1" or "" in Graph's answers. */
  custom_disclaimer_responses?: Array<{ checkbox_key: string; is_checked: string | boolean }>;
}

/** One `leadgen` change of a webhook, in the simulator's own camelCase; `createdTime` in Unix seconds. */
export interface LeadgenNotification {
  leadgenId: string;
  pageId: string;
  formId?: string;
  adId?: string;
  adgroupId?: string;
  createdTime?: number;
}
