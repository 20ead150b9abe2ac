/** The datasets the harness generates. Apart, with nothing imported, so that `--help` can name them at no cost. */
export const datasetNames = ['ecommerce', 'lol'] as const;
export type DatasetName = (typeof datasetNames)[number];
