// Replaced by the database bootstrap once the foundation lands.
export default async function setup(): Promise<void> {}
