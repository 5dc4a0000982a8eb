/**
 * MQTT topic filters as AWS IoT rules use them in `FROM`: `+` matches one level, a trailing `#`
 * any number of levels (including none).
 */
export function matchesTopicFilter(filter: string, topic: string): boolean {
  const want = filter.split('/');
  const have = topic.split('/');
  for (let i = 0; i < want.length; i++) {
    if (want[i] === '#' && i === want.length - 1) return true;
    if (i >= have.length) return false;
    if (want[i] !== '+' && want[i] !== have[i]) return false;
  }
  return want.length === have.length;
}
