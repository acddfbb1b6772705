/** Placeholder: gradcheck is being written. */
export {};
