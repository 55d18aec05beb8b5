/*
 * class-transformer ships the types of these two modules under types/ but not beside their code in cjs/: the fast
 * validation path reads the decorators' metadata (the same singleton plainToInstance uses) and the default options.
 */
declare module 'class-transformer/cjs/storage' {
  export { defaultMetadataStorage } from 'class-transformer/types/storage';
}

declare module 'class-transformer/cjs/constants/default-options.constant' {
  export { defaultOptions } from 'class-transformer/types/constants/default-options.constant';
}
