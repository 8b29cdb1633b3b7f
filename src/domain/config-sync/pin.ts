/** The header a pinned run's activities and child workflows carry: the config version it started with. */
export const CONFIG_VERSION_HEADER = 'eksflow-config-version';
