// Types of corpus.mjs, for the tests that use it.
import type { Backend, LsaModel, VectorIndex } from "../dist/index.js";

export interface CorpusDoc { id: string; title: string; text: string }
export interface CorpusIndex { model: LsaModel; index: VectorIndex; docs: CorpusDoc[]; built: boolean; ms: number }
export interface CorpusHit extends CorpusDoc { score: number }

export const CORPUS_FILE: string;
export const LSA_PARAMS: { dims: number; minDf: number; maxDfRatio: number; powerIters: number; seed: number };
export function loadCorpus(file?: string): CorpusDoc[];
export function corpusIndex(backend: Backend, options?: { onProgress?: (stage: string, fraction: number) => void; cacheDir?: string }): Promise<CorpusIndex>;
export function searchCorpus(corpus: CorpusIndex, query: string, k?: number): { hits: CorpusHit[]; known?: string[]; reason?: string };
export function progressBar(label: string): ((stage: string, fraction: number) => void) & { clear(): void };
